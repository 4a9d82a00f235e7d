// The Node.js entry point (`recur/node`): everything of the main entry plus what touches the file
// system — safetensors files, crash-safe checkpoints, atomic writes. The main entry stays free of
// Node-only modules so that it runs in browsers.
export * from './index.js';
export { writeFileAtomic } from './io/atomic.js';
export {
  type CheckpointData,
  type SaveCheckpointOptions,
  type SavedCheckpoint,
  saveCheckpoint,
} from './io/checkpoint.js';
export {
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  latestCheckpoint,
  loadCheckpoint,
} from './io/checkpoint-load.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  type SafetensorsContents,
  type SafetensorsDType,
  saveSafetensors,
} from './io/safetensors.js';
export {
  type ReadChunksOptions,
  readTextChunks,
  scanTextFile,
  type TextFileScan,
} from './io/text-chunks.js';

/** The implementations the suite runs: Recur's backends and the peers. */
import type { Task } from './spec.js';

export type PeerGroup = 'tfjs' | 'brain' | 'ort' | 'torch';

export interface Impl {
  id: string;
  label: string;
  /** Recur itself, or the peer group it belongs to. */
  group: 'ours' | PeerGroup;
  runtime: 'node' | 'python';
  supports(task: Task): boolean;
  /** Intra-op threads for peers that take a setting. */
  threads?: number;
}

const all = () => true;
const inferOnly = (t: Task) => t.kind === 'infer';

export const IMPLS: Impl[] = [
  { id: 'recur-wasm', label: 'Recur wasm', group: 'ours', runtime: 'node', supports: all },
  { id: 'recur-ts', label: 'Recur ts', group: 'ours', runtime: 'node', supports: all },
  { id: 'tfjs-cpu', label: 'tfjs cpu', group: 'tfjs', runtime: 'node', supports: all },
  { id: 'tfjs-wasm', label: 'tfjs wasm', group: 'tfjs', runtime: 'node', supports: all },
  { id: 'brain', label: 'brain.js', group: 'brain', runtime: 'node', supports: all },
  { id: 'ort-1t', label: 'onnxruntime 1t', group: 'ort', runtime: 'node', supports: inferOnly, threads: 1 },
  { id: 'ort-2t', label: 'onnxruntime 2t', group: 'ort', runtime: 'node', supports: inferOnly, threads: 2 },
  { id: 'torch-1t', label: 'PyTorch 1t', group: 'torch', runtime: 'python', supports: all, threads: 1 },
  { id: 'torch-2t', label: 'PyTorch 2t', group: 'torch', runtime: 'python', supports: all, threads: 2 },
];

export function implById(id: string): Impl {
  const i = IMPLS.find((x) => x.id === id);
  if (!i) throw new Error(`unknown implementation '${id}' (known: ${IMPLS.map((x) => x.id).join(', ')})`);
  return i;
}

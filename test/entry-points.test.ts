// The package's two entry points export what docs and examples use: the browser-safe root
// (`recur`) and the Node entry (`recur/node`), which re-exports the root and adds the file
// system helpers. A name that disappears in a refactor fails here, not in a user's import.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as root from '../src/index.js';
import * as node from '../src/node.js';

const ROOT = [
  'Tensor',
  'LSTM',
  'GRU',
  'RNN',
  'LSTMCell',
  'Seq2Seq',
  'beamSearch',
  'greedyDecode',
  'SequenceClassifier',
  'SequenceTagger',
  'Forecaster',
  'EchoStateNetwork',
  'gradcheck',
  'noGrad',
  'tidy',
  'setBackend',
  'loadWasmKernels',
  'withBackend',
  'backendAvailable',
  'wasmInfo',
];
const NODE_ONLY = [
  'saveCheckpoint',
  'loadCheckpoint',
  'writeFileAtomic',
  'loadSafetensors',
  'readTextChunks',
  'scanTextFile',
];

describe('entry points', () => {
  it('the root exports the documented classes and functions', () => {
    const r = root as Record<string, unknown>;
    for (const name of ROOT) assert.equal(typeof r[name], 'function', `recur: ${name}`);
  });
  it('recur/node has everything of the root plus the file helpers, which the root lacks', () => {
    const n = node as Record<string, unknown>;
    const r = root as Record<string, unknown>;
    for (const name of Object.keys(root)) assert.equal(n[name], r[name], `recur/node re-exports ${name}`);
    for (const name of NODE_ONLY) {
      assert.equal(typeof n[name], 'function', `recur/node: ${name}`);
      assert.equal(r[name], undefined, `the browser-safe root must not export ${name}`);
    }
  });
});

// Child process of test/train-kill.test.ts: trains the tiny char-LM of char-lm.ts with a
// checkpoint every few steps into a directory, resuming from the latest checkpoint there if any.
// Prints one JSON line per event to stdout: {"resumed": step | null} first, {"step", "loss"} per
// step, {"done": true, "step", "loss"} at the end.
//
//   node dist/test/helpers/train-child.js DIR DTYPE BACKEND EVERY SEED EPOCHS
import { latestCheckpoint, loadCheckpoint } from '../../src/io/checkpoint-load.js';
import { type BackendName, setBackend } from '../../src/kernels/registry.js';
import type { DType } from '../../src/tensor/tensor.js';
import { run, saveTo, setup } from './char-lm.js';

const [dir, dtype, backend, every, seed, epochs] = process.argv.slice(2);
setBackend(backend as BackendName);
const s = setup({ dtype: dtype as DType, seed: Number(seed), epochs: Number(epochs) });
const resume = latestCheckpoint(dir) ? loadCheckpoint(dir, { model: s.model }) : undefined;
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ resumed: resume ? resume.step : null });
const { result } = await run(s.options, { resume, checkpoint: saveTo(dir, Number(every)) }, (e) => {
  if (e.type === 'step') say({ step: e.step, loss: e.loss });
});
say({ done: true, step: result.step, loss: result.loss });

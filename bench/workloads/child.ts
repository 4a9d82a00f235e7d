/**
 * Runs one task on one Node implementation in its own process (so the peak RSS is this task's)
 * and prints one JSON line (a TaskResult) on stdout. Started by bench/suite.ts:
 *
 *   node dist/bench/workloads/child.js '{"task": {...}, "impl": "recur-wasm", "timing": {...}}'
 */
import { implById } from './impls.js';
import { recurInferStep, recurTrainStep, useBackend } from './recur.js';
import { type Task, type TaskResult, tokensPerStep } from './spec.js';
import { type Runner, rssMB, type TimingOptions, timeSteps } from './timing.js';

export interface ChildSpec {
  task: Task;
  impl: string;
  timing: TimingOptions;
}

async function prepare(task: Task, implId: string): Promise<Runner> {
  const impl = implById(implId);
  if (impl.group === 'ours') {
    const info = await useBackend(implId === 'recur-ts' ? 'ts' : 'wasm');
    const step = task.kind === 'train' ? recurTrainStep(task) : recurInferStep(task);
    const note = info.threads !== undefined ? `${info.threads} thread(s) (default)` : undefined;
    return { step, info, tokensPerStep: tokensPerStep(task), note };
  }
  if (impl.group === 'tfjs') {
    const { tfjsInfer, tfjsTrain } = await import('../peers/tfjs.js');
    const backend = implId === 'tfjs-wasm' ? 'wasm' : 'cpu';
    return task.kind === 'train' ? tfjsTrain(task, backend) : tfjsInfer(task, backend);
  }
  if (impl.group === 'brain') {
    const { brainInfer, brainTrain } = await import('../peers/brain.js');
    return task.kind === 'train' ? brainTrain(task) : brainInfer(task);
  }
  if (impl.group === 'ort' && task.kind === 'infer') {
    const { ortInfer } = await import('../peers/onnx.js');
    return ortInfer(task, impl.threads ?? 1);
  }
  throw new Error(`${implId} does not run ${task.task}`);
}

async function runChild(spec: ChildSpec): Promise<TaskResult> {
  const { task } = spec;
  const runner = await prepare(task, spec.impl);
  const startRssMB = rssMB().now;
  const timing = await timeSteps(runner.step, spec.timing);
  const perSecond = (runner.tokensPerStep / timing.medianMs) * 1000;
  const result: TaskResult = {
    type: 'result',
    workload: task.workload,
    task: task.task,
    impl: spec.impl,
    metric: task.metric,
    value: task.metric === 'ms/seq' ? timing.medianMs / (runner.tokensPerStep / task.seqLen) : perSecond,
    medianMs: timing.medianMs,
    steps: timing.steps,
    warmup: timing.warmup,
    capped: timing.capped,
    peakRssMB: rssMB().peak,
    startRssMB,
    info: runner.info,
  };
  if (timing.phases) result.phases = timing.phases;
  if (runner.note) result.note = runner.note;
  return result;
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: node dist/bench/workloads/child.js <spec JSON>');
  const result = await runChild(JSON.parse(arg) as ChildSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  // tfjs and onnxruntime may keep handles open; the result is out, so leave now.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);

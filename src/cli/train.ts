/**
 * `recur train`: trains a character-level language model (src/models/char-lm.ts) on a text file or
 * a built-in dataset, in the tradition of char-rnn's train.lua. The loop is `fit`
 * (src/train/fit.ts); this file turns flags into its options, prints progress, keeps the run
 * folder (see run.ts), and handles Ctrl-C: the first one stops at the end of the current step,
 * saves a checkpoint and exits with code 130, so `--resume` continues exactly where it stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CharVocab } from '../data/char-vocab.js';
import { LMStream, type LMWindow } from '../data/lm-stream.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { MetricsLog } from '../io/metrics-log.js';
import { CharLM, type CharLMState } from '../models/char-lm.js';
import { crossEntropy } from '../ops/loss.js';
import { formatCount, formatDuration } from '../train/callbacks.js';
import { fit } from '../train/fit.js';
import type { FitScheduler } from '../train/fit-options.js';
import type { FitSnapshot } from '../train/fit-state.js';
import { ReduceLROnPlateau } from '../train/reduce-lr-on-plateau.js';
import { ConfigError, DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { parseFlags } from './args.js';
import { inVocab } from './datasets.js';
import { Progress } from './progress.js';
import { buildFromConfig, evaluate, RUN_FILES, RUN_KIND, type RunConfig } from './run.js';
import { TrainSchedule } from './schedule.js';
import { FLAGS, HELP } from './train-flags.js';
import { trainMonitor } from './train-monitor.js';
import { applyThreads, type CliState, makeOptimizer, prepareOutDir, resolveRun } from './train-setup.js';

const CMD = 'train';

export async function runTrain(argv: string[]): Promise<number> {
  const { values, given, positionals } = parseFlags(CMD, argv, FLAGS, { max: 1, names: 'one FILE' });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // ---- the run: fresh, or resumed from its last checkpoint ----
  const { settings, corpus, outDir, resume, savedConfig, saved } = resolveRun(values, given, positionals[0]);
  let cli: CliState = { bestBpc: null, bestStep: null, acc: { sum: 0, tokens: 0 } };
  if (saved && typeof saved === 'object' && saved.acc) cli = { ...saved, acc: { ...saved.acc } };
  const t = settings.train;
  if (t.lrSchedule === 'plateau' && t.warmupSteps > 0) {
    throw new ConfigError(`${CMD}: --warmup-steps works with --lr-schedule constant or cosine, not plateau`);
  }

  // ---- data ----
  // The corpus is one id array (train and test are views of it); a resumed run keeps its saved
  // vocabulary, the same characters in the same order when the text is unchanged.
  const data = savedConfig
    ? inVocab(corpus, CharVocab.fromJSON(savedConfig.vocab), `${CMD}: ${corpus.label}`)
    : corpus;
  const { vocab, train: trainIds, test: testIds } = data;
  if (trainIds.length < 2 * t.batchSize) {
    throw new DataError(
      `${CMD}: the training split has ${trainIds.length} characters, too few for --batch-size ${t.batchSize} (need at least ${2 * t.batchSize}); use a smaller --batch-size or more text`,
    );
  }
  if (testIds.length < 2)
    throw new DataError(`${CMD}: the test split has ${testIds.length} characters; need at least 2`);
  const stream = new LMStream(trainIds, { batch: t.batchSize, seqLen: t.seqLength });

  // ---- model, optimizer, schedule ----
  const rng = new Rng(t.seed);
  const model = savedConfig
    ? new CharLM(buildFromConfig(savedConfig, join(resume!.path, 'checkpoint.json'), CMD).model.config, {
        rng,
      })
    : new CharLM({ vocabSize: vocab.size, ...settings.model }, { rng });
  const optimizer = makeOptimizer(model, t);
  const stepBound = Math.min(t.maxSteps ?? Number.POSITIVE_INFINITY, t.maxEpochs * stream.numWindows);
  let schedule: TrainSchedule | null = null;
  let scheduler: FitScheduler | undefined;
  if (t.lrSchedule === 'plateau') {
    scheduler = new ReduceLROnPlateau(optimizer, {
      factor: 0.5,
      patience: 2,
      threshold: 1e-3,
    }) as unknown as FitScheduler;
  } else {
    const known = t.maxMinutes === null ? stepBound : null;
    schedule = new TrainSchedule(
      optimizer,
      t.lr,
      t.lrSchedule,
      t.warmupSteps,
      t.minLrRatio,
      Number.isFinite(known ?? Number.NaN) ? known : null,
    );
    scheduler = schedule;
  }
  const runConfig: RunConfig = {
    kind: RUN_KIND,
    version: 1,
    model: model.toJSON(),
    vocab: vocab.toJSON(),
    data: {
      source: corpus.source,
      label: corpus.label,
      description: corpus.description,
      sha256: corpus.sha256,
      trainChars: trainIds.length,
      testChars: testIds.length,
      defaultPrime: corpus.defaultPrime,
      style: corpus.style,
    },
    train: t,
  };
  const kernels = applyThreads(values.threads as number | undefined);
  if (resume && schedule && t.maxMinutes === null) {
    // The limits may have changed (e.g. a larger --max-epochs): the cosine ends at the new end.
    const s = resume.scheduler as { totalSteps?: unknown } | null;
    if (s && typeof s === 'object') s.totalSteps = Number.isFinite(stepBound) ? stepBound : null;
  }

  // ---- run folder ----
  if (!resume) prepareOutDir(outDir, values.overwrite === true);
  const ckDir = join(outDir, RUN_FILES.checkpoints);
  const bestDir = join(outDir, RUN_FILES.best);
  const plotPath = join(outDir, RUN_FILES.plot);
  const metricsPath = join(outDir, RUN_FILES.metrics);
  const startStep = resume?.step ?? 0;
  const trainPts: [number, number][] = [];
  const testPts: [number, number][] = [];
  if (resume && existsSync(metricsPath)) {
    for (const r of MetricsLog.read(metricsPath)) {
      if (typeof r.step !== 'number' || r.step > startStep) continue;
      if (r.type === 'train' && typeof r.bpc === 'number') trainPts.push([r.step, r.bpc]);
      if (r.type === 'eval' && typeof r.bpc === 'number') testPts.push([r.step, r.bpc]);
    }
  }
  const log = MetricsLog.open(metricsPath, resume ? { keepThroughStep: startStep } : {});
  const progress = new Progress(process.stdout);
  // A closed stdout (e.g. piped into head) must not end the training: the run folder keeps it all.
  process.stdout.on('error', () => {});
  const say = (s: string) => progress.line(s);

  // ---- header ----
  const lim = [`${t.maxEpochs} epoch${t.maxEpochs === 1 ? '' : 's'}`];
  if (t.maxSteps !== null) lim.push(`${t.maxSteps} steps`);
  if (t.maxMinutes !== null) lim.push(`${t.maxMinutes} minutes`);
  if (t.patience !== null) lim.push(`${t.patience} evaluations without improvement`);
  const sched =
    t.lrSchedule === 'cosine'
      ? `cosine to ${(t.lr * t.minLrRatio).toPrecision(2)}`
      : t.lrSchedule === 'plateau'
        ? 'halved when test bpc stalls'
        : 'constant';
  say(
    resume
      ? `recur train — resuming ${outDir} at step ${startStep}`
      : `recur train — a character-level language model on ${corpus.label}: it learns to predict the next character (fewer bits per character is better)`,
  );
  say(`data:     ${corpus.description}; ${vocab.size} distinct characters`);
  say(`model:    ${model.toString()}`);
  for (const l of model.summary().slice(1)) say(`          ${l.trim()}`);
  say(
    `training: ${t.optimizer} lr ${t.lr} (${sched}${t.warmupSteps ? `, ${t.warmupSteps} warm-up steps` : ''})${t.weightDecay ? `, weight decay ${t.weightDecay}` : ''}, batch ${t.batchSize} x ${t.seqLength} characters, grad clip ${t.gradClip || 'off'}, seed ${t.seed}; ${stream.numWindows} steps per epoch; stops after ${lim.join(' or ')}`,
  );
  say(
    `run:      ${outDir}/ — metrics.jsonl, loss.svg, checkpoints/ (resume), best/ (best test bpc); ${kernels}`,
  );
  say(`          test bpc every ${t.evalEvery} steps; Ctrl-C saves a checkpoint and stops`);
  log.write({
    type: 'start',
    step: startStep,
    resumed: resume !== null,
    time: new Date().toISOString(),
    data: corpus.label,
    model: model.toString(),
    settings: t,
    kernels,
  });

  // ---- Ctrl-C ----
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      abort.abort();
      say(
        'interrupted: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once; the last checkpoint stays intact)',
      );
    } else {
      progress.clear();
      process.stderr.write('recur train: quit without saving; the last checkpoint is intact\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);

  // ---- callbacks (train-monitor.ts) ----
  const runStart = {
    step: startStep,
    elapsed: (resume?.extra as { fit?: { elapsedSeconds?: number } })?.fit?.elapsedSeconds ?? 0,
  };
  const windowsPerEpoch = stream.numWindows;
  const epochOf = (step: number) => step / windowsPerEpoch;
  const { callback, sampleText, writePlot } = trainMonitor({
    t,
    cli,
    model,
    vocab,
    corpus,
    runConfig,
    bestDir,
    plotPath,
    log,
    progress,
    say,
    trainPts,
    testPts,
    schedule,
    stepBound,
    runStart,
    epochOf,
  });

  // ---- train ----
  const evalFn = (m: CharLM) => {
    const t0 = performance.now();
    const r = evaluate(m, testIds);
    return { val_loss: r.loss, val_bpc: r.bpc, eval_seconds: (performance.now() - t0) / 1000 };
  };
  const save = (snap: FitSnapshot) => {
    const extra = { ...snap.extra, cli: { ...cli, acc: { ...cli.acc } } };
    saveCheckpoint(
      ckDir,
      { ...snap, config: runConfig as unknown as Record<string, unknown>, extra },
      { keepLast: 2 },
    );
  };
  function* windows(): Generator<LMWindow> {
    for (let i = 0; i < stream.numWindows; i++) yield stream.window(i);
  }
  let result: Awaited<ReturnType<typeof fit>>;
  try {
    result = await fit<CharLM, LMWindow, CharLMState>({
      model,
      optimizer,
      trainBatches: () => windows(),
      stepsPerEpoch: stream.numWindows,
      lossFn: (m, w, state) => {
        const out = m.forward(w.input, w.seqLen, w.batch, state);
        return { loss: crossEntropy(out.logits, w.target), state: out.state, tokens: w.seqLen * w.batch };
      },
      evalFn,
      evalEvery: t.evalEvery,
      epochs: t.maxEpochs,
      maxSteps: t.maxSteps ?? undefined,
      maxMinutes: t.maxMinutes ?? undefined,
      gradClip: t.gradClip > 0 ? t.gradClip : undefined,
      scheduler,
      schedulerInterval: t.lrSchedule === 'plateau' ? 'eval' : 'step',
      monitor: 'val_bpc',
      earlyStopping: t.patience !== null ? { patience: t.patience, monitor: 'val_bpc' } : undefined,
      callbacks: [callback],
      checkpoint: { every: t.evalEvery, save },
      resume,
      rng,
      signal: abort.signal,
    });
  } catch (e) {
    progress.clear();
    await log.close().catch(() => {});
    process.off('SIGINT', onSigint);
    throw e;
  }
  progress.clear();

  // ---- the end ----
  const ckNote = `continue with: recur train --resume ${outDir}`;
  if (result.reason === 'aborted') {
    log.write({ type: 'end', step: result.step, reason: 'interrupted', elapsed: result.elapsedSeconds });
    await log.close();
    writePlot();
    process.off('SIGINT', onSigint);
    process.stderr.write(
      `recur train: interrupted at step ${result.step}; checkpoint saved in ${ckDir}/ (${ckNote})\n`,
    );
    return 130;
  }
  if (abort.signal.aborted) {
    // Ctrl-C after the last step: fit has saved the final checkpoint already.
    log.write({ type: 'end', step: result.step, reason: result.reason, elapsed: result.elapsedSeconds });
    await log.close();
    writePlot();
    process.off('SIGINT', onSigint);
    process.stderr.write(
      `recur train: interrupted after the last step (${result.step}); checkpoint saved in ${ckDir}/\n`,
    );
    return 130;
  }
  const tokens = (result.step - startStep) * t.batchSize * t.seqLength;
  const trainSeconds = result.elapsedSeconds - runStart.elapsed;
  log.write({
    type: 'end',
    step: result.step,
    reason: result.reason,
    elapsed: result.elapsedSeconds,
    bestBpc: cli.bestBpc,
    bestStep: cli.bestStep,
  });
  await log.close();
  writePlot();
  process.off('SIGINT', onSigint);
  const why: Record<string, string> = {
    epochs: `${t.maxEpochs} epochs`,
    maxSteps: `${t.maxSteps} steps`,
    maxMinutes: `${t.maxMinutes} minutes`,
    earlyStopping: `no improvement in ${t.patience} evaluations`,
  };
  const last = testPts[testPts.length - 1]?.[1];
  say('');
  say(
    `done: ${result.step} steps (${epochOf(result.step).toFixed(2)} epochs) in ${formatDuration(result.elapsedSeconds)}, stopped after ${why[result.reason] ?? result.reason}; ${formatCount(tokens / Math.max(1e-9, trainSeconds))} characters/s overall`,
  );
  say(
    `test:  ${last?.toFixed(4)} bits per character (perplexity ${(2 ** (last ?? Number.NaN)).toFixed(3)}); best ${cli.bestBpc?.toFixed(4)} at step ${cli.bestStep}`,
  );
  const finalSample = sampleText(Math.max(t.sampleLength, 300), result.step + 1);
  if (finalSample) say(`sample (temperature 0.8, from the final weights):\n${finalSample}\n`);
  say(`results in ${outDir}/:`);
  say(`  loss.svg       train and test bits per character against the step`);
  say(`  metrics.jsonl  one JSON record per line (train every ${t.logEvery} steps, eval, start, end)`);
  say(`  best/          the weights with the best test bpc (step ${cli.bestStep})`);
  say(`  checkpoints/   the full training state; ${ckNote} (e.g. with a larger --max-epochs)`);
  say(`try:  recur sample ${outDir} --length 500    recur eval ${outDir}    recur info ${outDir}`);
  return 0;
}

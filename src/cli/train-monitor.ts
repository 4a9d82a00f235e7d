/**
 * What `recur train` reports and records while it trains, as fit callbacks: the progress line,
 * the metrics log (train and eval records), the loss plot, a sample at every evaluation, the
 * best-weights checkpoint, and the time-bounded cosine schedule's end-step estimate.
 */
import type { CharVocab } from '../data/char-vocab.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import type { MetricsLog } from '../io/metrics-log.js';
import { writeLineChart } from '../io/plot.js';
import type { CharLM } from '../models/char-lm.js';
import { sample } from '../models/sample.js';
import { type FitEvent, formatCount, formatDuration } from '../train/callbacks.js';
import { Rng } from '../util/rng.js';
import { type Corpus, oneLine } from './datasets.js';
import type { Progress } from './progress.js';
import type { RunConfig, TrainSettings } from './run.js';
import type { TrainSchedule } from './schedule.js';
import type { CliState } from './train-setup.js';

/** The run's state and outputs that the callbacks report into (owned by runTrain). */
export interface MonitorContext {
  t: TrainSettings;
  cli: CliState;
  model: CharLM;
  vocab: CharVocab;
  corpus: Corpus;
  runConfig: RunConfig;
  bestDir: string;
  plotPath: string;
  log: MetricsLog;
  progress: Progress;
  say: (s: string) => void;
  trainPts: [number, number][];
  testPts: [number, number][];
  schedule: TrainSchedule | null;
  stepBound: number;
  runStart: { step: number; elapsed: number };
  epochOf: (step: number) => number;
}

/** The fit callback, and the sampler and plot writer that the end of the run uses too. */
export interface Monitor {
  callback: (e: FitEvent) => Promise<void> | void;
  sampleText: (n: number, step: number) => string;
  writePlot: () => void;
}

/** The callbacks of one `recur train` run; they update `ctx.cli`, `ctx.trainPts` and `ctx.testPts` in place. */
export function trainMonitor(ctx: MonitorContext): Monitor {
  const { t, cli, model, vocab, corpus, runConfig, bestDir, plotPath, log, progress, say } = ctx;
  const { trainPts, testPts, schedule, stepBound, runStart, epochOf } = ctx;
  const sampleRng = (step: number) => new Rng(t.seed * 1000003 + step);
  const primeIds = (() => {
    try {
      return vocab.encode(corpus.defaultPrime);
    } catch {
      return Int32Array.of(0);
    }
  })();
  const sampleText = (n: number, step: number): string => {
    if (n === 0) return '';
    const ids = sample(model, { prime: primeIds, length: n, temperature: 0.8, rng: sampleRng(step) });
    return (corpus.style === 'prose' ? corpus.defaultPrime : '') + vocab.decode(ids);
  };
  const writePlot = () => {
    writeLineChart(
      plotPath,
      [
        { name: 'train bpc', color: '#1f77b4', points: trainPts },
        { name: 'test bpc', color: '#d62728', points: testPts, markers: true },
      ],
      {
        title: `${corpus.label}: bits per character`,
        subtitle: `${model.toString()}; ${t.optimizer} lr ${t.lr}, batch ${t.batchSize} x ${t.seqLength}, seed ${t.seed}`,
        xLabel: 'step',
        yLabel: 'bits per character',
      },
    );
  };
  let ema: number | null = null;
  let lastTrainBpc: number | null = null;
  let lastEstimate = Number.NEGATIVE_INFINITY;
  let lastTokensPerSec: number | null = null;

  const onEval = (step: number, elapsed: number, loss: number, bpc: number, evalSeconds: number): void => {
    const best = cli.bestBpc === null || bpc < cli.bestBpc;
    if (best) {
      cli.bestBpc = bpc;
      cli.bestStep = step;
      saveCheckpoint(
        bestDir,
        {
          step,
          model,
          config: runConfig as unknown as Record<string, unknown>,
          metrics: { val_loss: loss, val_bpc: bpc },
        },
        { keepLast: 1 },
      );
    }
    const text = sampleText(t.sampleLength, step);
    testPts.push([step, bpc]);
    log.write({
      type: 'eval',
      step,
      epoch: epochOf(step),
      loss,
      bpc,
      best,
      elapsed,
      evalSeconds,
      sample: text,
    });
    say(
      `step ${step} (epoch ${epochOf(step).toFixed(2)}) | test ${bpc.toFixed(4)} bpc${best ? ' (best)' : ` (best ${cli.bestBpc?.toFixed(4)} at step ${cli.bestStep})`}${lastTrainBpc !== null ? ` | train ${lastTrainBpc.toFixed(4)} bpc` : ''}${lastTokensPerSec ? ` | ${formatCount(lastTokensPerSec)} tok/s` : ''} | ${formatDuration(elapsed)}`,
    );
    if (text) say(`  sample: ${oneLine(text, corpus.style).slice(0, 160)}`);
    writePlot();
  };

  const callback = (e: FitEvent): Promise<void> | void => {
    if (e.type === 'step') {
      const tokens = e.tokens ?? 1;
      cli.acc.sum += e.loss * tokens;
      cli.acc.tokens += tokens;
      ema = ema === null ? e.loss : 0.98 * ema + 0.02 * e.loss;
      if (e.tokensPerSec !== null) lastTokensPerSec = e.tokensPerSec;
      if (e.step % t.logEvery === 0) {
        const loss = cli.acc.sum / cli.acc.tokens;
        lastTrainBpc = loss / Math.LN2;
        trainPts.push([e.step, lastTrainBpc]);
        log.write({
          type: 'train',
          step: e.step,
          epoch: epochOf(e.step),
          loss,
          bpc: lastTrainBpc,
          lr: e.lr,
          tokensPerSec: e.tokensPerSec,
          elapsed: e.elapsedSeconds,
        });
        cli.acc = { sum: 0, tokens: 0 };
      }
      // A time-bounded cosine: estimate the step the time budget ends at from the speed so far.
      if (
        schedule &&
        t.lrSchedule === 'cosine' &&
        t.maxMinutes !== null &&
        e.elapsedSeconds - lastEstimate >= 10
      ) {
        const ds = e.step - runStart.step;
        const dt = e.elapsedSeconds - runStart.elapsed;
        if (ds >= 10 && dt >= 5) {
          lastEstimate = e.elapsedSeconds;
          const est = e.step + ((t.maxMinutes * 60 - e.elapsedSeconds) * ds) / dt;
          schedule.estimate(Math.min(stepBound, est));
        }
      }
      const m = ema;
      progress.status(() => {
        // Most useful first: a narrow terminal cuts the end of the line.
        const parts = [
          `step ${e.step}${e.totalSteps !== null ? `/${e.totalSteps}` : ''}`,
          `epoch ${epochOf(e.step).toFixed(2)}`,
          `loss ${(m as number).toFixed(3)} (${((m as number) / Math.LN2).toFixed(3)} bpc)`,
        ];
        if (e.tokensPerSec !== null) parts.push(`${formatCount(e.tokensPerSec)} tok/s`);
        if (e.etaSeconds !== null) parts.push(`ETA ${formatDuration(e.etaSeconds)}`);
        parts.push(`lr ${e.lr.toExponential(1)}`);
        return parts.join(' · ');
      });
      // Let signals (Ctrl-C) and the log's writes through between steps.
      return new Promise((resolve) => setImmediate(resolve));
    }
    if (e.type === 'eval') {
      onEval(e.step, e.elapsedSeconds, e.metrics.val_loss, e.metrics.val_bpc, e.metrics.eval_seconds);
      return;
    }
    if (e.type === 'nan') say(`step ${e.step}: ${e.message}`);
  };
  return { callback, sampleText, writePlot };
}

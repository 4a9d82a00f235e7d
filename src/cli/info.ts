/**
 * `recur info RUN_DIR`: what a run is (data, model with its size, settings) and how its training
 * went (steps, epochs, time, train and test bits per character, best test bpc, how it ended).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsLog, type MetricsRecord } from '../io/metrics-log.js';
import { formatDuration } from '../train/callbacks.js';
import { ConfigError, RecurError } from '../util/errors.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { loadRun, RUN_FILES } from './run.js';

const CMD = 'info';

const FLAGS: FlagSpec[] = [];

const HELP = helpText(
  'recur info RUN_DIR',
  'Prints the model of the run in RUN_DIR (a folder made by recur train), its size, its settings and its training history.',
  FLAGS,
);

const num = (v: unknown, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '?');

export async function runInfo(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(CMD, argv, FLAGS, { max: 1, names: 'RUN_DIR' });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined)
    throw new ConfigError(
      `${CMD}: missing RUN_DIR, the folder of a run made by recur train (see recur info --help)`,
    );
  const run = loadRun(dir, 'latest', CMD);
  const { config, model, checkpoint } = run;
  const t = config.train;
  const out: string[] = [];
  out.push(`run:       ${dir}`);
  out.push(`data:      ${config.data.description}`);
  out.push(
    `           ${config.data.trainChars.toLocaleString('en-US')} training and ${config.data.testChars.toLocaleString('en-US')} test characters, vocabulary of ${run.vocab.size}`,
  );
  out.push(`model:     ${model.toString()}`);
  for (const l of model.summary().slice(1)) out.push(`           ${l.trim()}`);
  out.push(
    `settings:  ${t.optimizer} lr ${t.lr} (${t.lrSchedule}${t.lrSchedule === 'cosine' ? ` to x${t.minLrRatio}` : ''}${t.warmupSteps ? `, warm-up ${t.warmupSteps}` : ''}), weight decay ${t.weightDecay}, batch ${t.batchSize} x ${t.seqLength}, grad clip ${t.gradClip || 'off'}, seed ${t.seed}`,
  );
  const limits = [`${t.maxEpochs} epochs`];
  if (t.maxSteps !== null) limits.push(`${t.maxSteps} steps`);
  if (t.maxMinutes !== null) limits.push(`${t.maxMinutes} minutes`);
  if (t.patience !== null) limits.push(`patience ${t.patience}`);
  out.push(`           limits: ${limits.join(', ')}; eval every ${t.evalEvery} steps`);

  const fitState = (
    checkpoint.extra as {
      fit?: { epoch?: number; elapsedSeconds?: number; stepsPerEpoch?: number | null; batch?: number };
    } | null
  )?.fit;
  const spe = fitState?.stepsPerEpoch ?? null;
  const epochs = spe ? checkpoint.step / spe : null;
  out.push(
    `history:   ${checkpoint.step.toLocaleString('en-US')} steps${epochs !== null ? ` (${epochs.toFixed(2)} epochs)` : ''}, ${(checkpoint.step * t.batchSize * t.seqLength).toLocaleString('en-US')} characters seen, ${formatDuration(fitState?.elapsedSeconds ?? null)} of training (latest checkpoint, saved ${checkpoint.savedAt})`,
  );
  const metricsPath = join(dir, RUN_FILES.metrics);
  let records: MetricsRecord[] = [];
  let metricsNote = '';
  if (existsSync(metricsPath)) {
    try {
      records = MetricsLog.read(metricsPath);
    } catch (e) {
      if (!(e instanceof RecurError)) throw e;
      metricsNote = ` (${e.message})`;
    }
  } else metricsNote = ' (missing)';
  const evals = records.filter((r) => r.type === 'eval' && typeof r.bpc === 'number');
  const trains = records.filter((r) => r.type === 'train');
  const best = evals.reduce<MetricsRecord | null>(
    (b, r) => (b === null || (r.bpc as number) < (b.bpc as number) ? r : b),
    null,
  );
  const lastEval = evals[evals.length - 1];
  const lastTrain = trains[trains.length - 1];
  if (lastTrain) out.push(`           train ${num(lastTrain.bpc)} bpc at step ${lastTrain.step}`);
  if (lastEval)
    out.push(
      `           test  ${num(lastEval.bpc)} bpc at step ${lastEval.step} (perplexity ${(2 ** (lastEval.bpc as number)).toFixed(3)})`,
    );
  if (best)
    out.push(
      `           best test ${num(best.bpc)} bpc at step ${best.step} (weights in ${join(dir, RUN_FILES.best)}/)`,
    );
  const ends = records.filter((r) => r.type === 'end');
  const end = ends[ends.length - 1];
  const starts = records.filter((r) => r.type === 'start');
  const status =
    end && typeof end.step === 'number' && end.step >= checkpoint.step
      ? end.reason === 'interrupted'
        ? `interrupted at step ${end.step}; continue with recur train --resume ${dir}`
        : `finished (${end.reason})`
      : `stopped without an end record (killed or still running?); continue with recur train --resume ${dir}`;
  out.push(`status:    ${status}; ${starts.length} session${starts.length === 1 ? '' : 's'}`);
  out.push(
    `files:     ${RUN_FILES.metrics} (${records.length} records${metricsNote}), ${existsSync(join(dir, RUN_FILES.plot)) ? RUN_FILES.plot : `${RUN_FILES.plot} (missing)`}, ${RUN_FILES.checkpoints}/ (step ${checkpoint.step}), ${existsSync(join(dir, RUN_FILES.best)) ? `${RUN_FILES.best}/` : `${RUN_FILES.best}/ (none yet)`}`,
  );
  console.log(out.join('\n'));
  return 0;
}

/**
 * The training loop, after Keras' `fit` and PyTorch Lightning's loop, for recurrent models.
 *
 * Per batch: zeroGrad -> lossFn(model, batch, state) -> check the loss is finite -> backward ->
 * check every gradient -> gradClip -> optimizer.step -> scheduler ('step') -> step event ->
 * evaluation (every `evalEvery` steps) -> checkpoint (every `checkpoint.every` steps) -> stop checks.
 * The computing part of a step (zeroGrad .. optimizer.step) is in fit-step.ts.
 * Per epoch: resetState -> batches -> epochEnd event -> scheduler ('epoch') -> evaluation ->
 * early stopping -> checkpoint (`atEpochEnd`).
 *
 * Truncated BPTT: `lossFn` may return the recurrent state its forward ended in; fit copies it off
 * the tape (no gradient crosses into the next batch) and passes it to the next batch's `lossFn`.
 * `resetState(epoch)` gives the state at the start of every epoch (default null: zeros).
 *
 * NaN guard: a non-finite loss or gradient is caught at the step where it appears and reported
 * with the parameter (the first whose gradient is not finite) and the op that produced the first
 * non-finite value (found by walking the forward graph, or by running the batch again with every
 * backward rule watched, see nan-guard.ts). Policy 'stop' throws a NumericError; 'skip' drops
 * the step and lowers the learning rate.
 *
 * Exact resume (fit-state.ts): a run resumed from a snapshot gives bit-identical losses to one that
 * never stopped, provided all randomness (shuffling, dropout) draws from `rng` and
 * `trainBatches(epoch)` depends only on the epoch and the RNG. fit does no I/O: the caller saves
 * and loads (`saveCheckpoint(dir, { ...snapshot, config })`, `resume: loadCheckpoint(dir, { model })`).
 */
import type { Module } from '../nn/module.js';
import { tidy } from '../tensor/scope.js';
import { DataError, NumericError } from '../util/errors.js';
import { defaultRng, type Rng } from '../util/rng.js';
import {
  EarlyStopping,
  type FitControl,
  type FitEvent,
  invokeCallback,
  type StopReason,
} from './callbacks.js';
import {
  checkFitOptions,
  type FitContext,
  type FitOptions,
  type FitResult,
  fitError,
} from './fit-options.js';
import { LoopState } from './fit-state.js';
import { StepComputer } from './fit-step.js';
import { Throughput } from './metrics.js';
import type { NanFound } from './nan-guard.js';

/** Trains `model` until a stop condition is met; see the file comment and FitOptions. */
export async function fit<M extends Module, B, S = unknown>(
  options: FitOptions<M, B, S>,
): Promise<FitResult> {
  return new FitRun(options).run();
}

class FitRun<M extends Module, B, S> {
  private readonly rng: Rng;
  private readonly stepper: StepComputer<M, B, S>;
  private readonly clock: () => number;
  private readonly early: EarlyStopping | null;
  private readonly monitor: string;
  private readonly schedInterval: 'step' | 'epoch' | 'eval';
  /** The epoch limit: `epochs`, or 1 when no limit at all is given. */
  private readonly epochs: number | undefined;
  private readonly t0: number;
  private readonly clip: { maxNorm: number; normType: number } | null;
  private readonly s = new LoopState<S>();
  private readonly speed = new Throughput(20);
  private reason: StopReason | null = null;
  private stopRequested = false;
  private lastSaved = -1;
  /** The step of the last evaluation in this run (-1: none yet). */
  private lastEvalStep = -1;
  private readonly control: FitControl = { stop: () => void (this.stopRequested = true) };

  constructor(private readonly o: FitOptions<M, B, S>) {
    const r = checkFitOptions(o);
    this.schedInterval = r.schedulerInterval;
    this.monitor = r.monitor;
    const unlimited = o.maxSteps === undefined && o.maxMinutes === undefined;
    this.epochs = o.epochs ?? (unlimited ? 1 : undefined);
    this.clip = r.clip;
    this.rng = o.rng ?? defaultRng;
    this.stepper = new StepComputer(o, this.rng, this.clip);
    this.clock = o.clock ?? (() => performance.now());
    this.early = o.earlyStopping ? new EarlyStopping(o.earlyStopping) : null;
    const tb = o.trainBatches;
    this.s.stepsPerEpoch = o.stepsPerEpoch ?? (Array.isArray(tb) ? tb.length : null);
    this.t0 = this.clock();
  }

  private get elapsed(): number {
    return this.s.elapsedBefore + (this.clock() - this.t0) / 1000;
  }

  private base() {
    return { step: this.s.step, epoch: this.s.epoch, elapsedSeconds: this.elapsed };
  }

  private async emit(e: FitEvent): Promise<void> {
    for (const cb of this.o.callbacks ?? []) {
      const r = invokeCallback(cb, e, this.control);
      if (r && typeof (r as Promise<void>).then === 'function') await r;
    }
  }

  private batchesOf(epoch: number): Iterator<B> {
    const tb = this.o.trainBatches;
    return (typeof tb === 'function' ? tb(epoch) : tb)[Symbol.iterator]();
  }

  private scaleLr(f: number): void {
    for (const g of this.o.optimizer.paramGroups) g.lr *= f;
  }

  private schedStep(metric?: number): void {
    const sch = this.o.scheduler;
    if (!sch) return;
    sch.step(metric);
    // An absolute schedule (closed form) overwrote the rates: keep the NaN policy's cuts.
    if (typeof sch.lrAt === 'function' && this.s.lrScale !== 1) this.scaleLr(this.s.lrScale);
  }

  async run(): Promise<FitResult> {
    const { o, s } = this;
    o.model.train();
    let mid = false;
    if (o.resume) {
      const parts = { model: o.model, optimizer: o.optimizer, scheduler: o.scheduler, rng: this.rng };
      mid = s.restore(o.resume, { ...parts, early: this.early });
      this.lastSaved = s.step;
    }
    await this.emit({ type: 'start', ...this.base(), resumed: !!o.resume, totalSteps: this.totalSteps() });
    this.checkStops();
    while (this.reason === null) {
      if (this.epochs !== undefined && s.epoch >= this.epochs) {
        this.reason = 'epochs';
        break;
      }
      let it: Iterator<B>;
      if (mid) {
        it = s.replayEpoch(this.rng, (e) => this.batchesOf(e));
        mid = false;
      } else {
        s.carry = o.resetState?.(s.epoch) ?? null;
        await this.emit({ type: 'epochStart', ...this.base() });
        s.rngEpochStart = this.rng.getState();
        it = this.batchesOf(s.epoch);
      }
      let done = false;
      try {
        while (this.reason === null) {
          const r = it.next();
          if (r.done) {
            done = true;
            break;
          }
          await this.trainStep(r.value);
        }
      } finally {
        if (!done) it.return?.();
      }
      if (!done) break;
      if (s.batch === 0) throw new DataError(`fit: trainBatches gave no batch in epoch ${s.epoch}`);
      await this.endEpoch();
    }
    const final = o.evalFn && (o.evalAtEnd ?? true) && this.reason !== 'aborted';
    if (final && s.step > 0 && this.lastEvalStep !== s.step) await this.evaluate();
    if (o.checkpoint && (o.checkpoint.atEnd ?? true) && this.lastSaved !== s.step) await this.save();
    const reason = this.reason as StopReason;
    const loss = s.epochLoss.count ? s.epochLoss.value : null;
    await this.emit({ type: 'end', ...this.base(), reason, loss });
    const e = this.early;
    return {
      step: s.step,
      epoch: s.epoch,
      reason,
      loss: s.lastLoss,
      lastEval: s.lastEval,
      best: e && e.best !== null ? { monitor: this.monitor, value: e.best, step: e.bestStep } : null,
      skippedSteps: s.skipped,
      elapsedSeconds: this.elapsed,
    };
  }

  private async trainStep(batch: B): Promise<void> {
    const { o, s } = this;
    const opt = o.optimizer;
    const start = this.clock();
    const ctx: FitContext = { step: s.step, epoch: s.epoch, batch: s.batch };
    // The synchronous part of the step runs in a tidy() scope, so its tensors (in wasm memory on
    // that backend) are freed when it ends; only the carried state leaves it.
    const r = tidy(() => this.stepper.compute(batch, s.carry, ctx));
    if (r.nan) return this.onNan(r.nan);
    const { loss, gradNorm } = r;
    s.carry = r.carry as S | null;
    s.step++;
    s.batch++;
    s.nanStreak = 0;
    s.lastLoss = loss;
    const tokens = typeof r.tokens === 'number' && r.tokens > 0 ? r.tokens : null;
    s.epochLoss.add(loss, tokens ?? 1);
    const lr = opt.paramGroups[0].lr;
    if (this.schedInterval === 'step') this.schedStep();
    this.speed.add((this.clock() - start) / 1000, tokens);
    const stepsPerSec = this.speed.stepsPerSec;
    const total = this.totalSteps();
    let eta = total !== null && stepsPerSec ? (total - s.step) / stepsPerSec : null;
    if (o.maxMinutes !== undefined)
      eta = Math.min(eta ?? Number.POSITIVE_INFINITY, Math.max(0, o.maxMinutes * 60 - this.elapsed));
    await this.emit({
      type: 'step',
      ...this.base(),
      batch: s.batch,
      loss,
      lossAvg: s.epochLoss.value,
      lr,
      gradNorm,
      tokens,
      tokensPerSec: this.speed.tokensPerSec,
      stepsPerSec,
      etaSeconds: eta,
      totalSteps: total,
    });
    if (o.evalEvery && s.step % o.evalEvery === 0) await this.evaluate();
    if (o.checkpoint?.every && s.step % o.checkpoint.every === 0) await this.save();
    this.checkStops();
  }

  private async onNan(n: NanFound): Promise<void> {
    const { o, s } = this;
    const policy = o.nanPolicy ?? 'stop';
    const factor = o.nanLrFactor ?? 0.5;
    const at = `step ${s.step + 1} (epoch ${s.epoch}, batch ${s.batch + 1})`;
    const what =
      n.kind === 'loss'
        ? `the loss is ${n.value}`
        : `the gradient of parameter '${n.parameter}' holds ${n.value}`;
    let where = n.anomaly ? `: ${n.anomaly.description}` : '';
    if (!n.anomaly && n.kind === 'gradient' && o.locateNanOp !== false) where = ' (the op was not found)';
    o.optimizer.zeroGrad();
    if (policy === 'skip') {
      this.scaleLr(factor);
      s.lrScale *= factor;
      s.nanStreak++;
      s.skipped++;
      s.carry = o.resetState?.(s.epoch) ?? null;
    }
    const lr = o.optimizer.paramGroups[0].lr;
    const message = `${what} at ${at}${where}${policy === 'skip' ? `; step skipped, lr lowered to ${lr}` : ''}`;
    const op = n.anomaly?.op ?? null;
    const nan = { kind: n.kind, parameter: n.parameter, op, value: n.value, action: policy, lr, message };
    await this.emit({ type: 'nan', ...this.base(), step: s.step + 1, ...nan });
    if (policy === 'stop') throw new NumericError(`fit: ${message}`);
    const max = o.maxNanSkips ?? 5;
    if (s.nanStreak > max)
      throw new NumericError(
        `fit: ${s.nanStreak} steps in a row had non-finite values (maxNanSkips ${max}); last: ${message}`,
      );
    s.step++;
    s.batch++;
    if (this.schedInterval === 'step') this.schedStep();
    this.checkStops();
  }

  /** Feeds the monitored metric to early stopping and to an 'eval' scheduler. */
  private watch(metrics: Record<string, number>): { improved: boolean | null; best: number | null } {
    if (!this.early && this.schedInterval !== 'eval') return { improved: null, best: null };
    const v = metrics[this.monitor];
    if (typeof v !== 'number')
      fitError(
        `the monitored metric '${this.monitor}' is not among ${Object.keys(metrics).join(', ')} (set monitor or earlyStopping.monitor)`,
      );
    if (this.schedInterval === 'eval') this.schedStep(v);
    if (!this.early) return { improved: null, best: null };
    const r = this.early.update(v, this.s.step);
    if (r.stop && this.reason === null) this.reason = 'earlyStopping';
    return { improved: r.improved, best: this.early.best };
  }

  private async evaluate(): Promise<void> {
    const { model, evalFn } = this.o;
    const s = this.s;
    if (!evalFn) return;
    model.eval();
    let r: number | Record<string, number>;
    try {
      r = await evalFn(model, { step: s.step, epoch: s.epoch, batch: s.batch });
    } finally {
      model.train();
    }
    const metrics = typeof r === 'number' ? { val_loss: r } : { ...r };
    for (const [k, v] of Object.entries(metrics))
      if (typeof v !== 'number') fitError(`evalFn: metric '${k}' must be a number, got ${typeof v}`);
    s.lastEval = metrics;
    this.lastEvalStep = s.step;
    const w = this.watch(metrics);
    await this.emit({
      type: 'eval',
      ...this.base(),
      metrics,
      monitor: this.early ? this.monitor : null,
      ...w,
    });
  }

  private async endEpoch(): Promise<void> {
    const { o, s } = this;
    if (o.stepsPerEpoch === undefined) s.stepsPerEpoch = s.batch;
    await this.emit({ type: 'epochEnd', ...this.base(), loss: s.epochLoss.value, batches: s.batch });
    if (this.schedInterval === 'epoch') this.schedStep();
    if (o.evalFn && !o.evalEvery) await this.evaluate();
    else if (!o.evalFn) this.watch({ loss: s.epochLoss.value });
    s.epoch++;
    s.batch = 0;
    s.rngEpochStart = null;
    s.epochLoss.reset();
    if (o.checkpoint?.atEpochEnd) await this.save();
    this.checkStops();
  }

  private checkStops(): void {
    const { o, s } = this;
    if (this.reason !== null) return;
    if (o.signal?.aborted) this.reason = 'aborted';
    else if (this.stopRequested) this.reason = 'callback';
    else if (o.maxSteps !== undefined && s.step >= o.maxSteps) this.reason = 'maxSteps';
    else if (o.maxMinutes !== undefined && this.elapsed >= o.maxMinutes * 60) this.reason = 'maxMinutes';
  }

  /** The step at which training ends, when it can be known. */
  private totalSteps(): number | null {
    const { maxSteps } = this.o;
    const spe = this.s.stepsPerEpoch;
    const byEpochs = this.epochs !== undefined && spe !== null ? this.epochs * spe : null;
    if (maxSteps === undefined) return byEpochs;
    return byEpochs === null ? maxSteps : Math.min(maxSteps, byEpochs);
  }

  private async save(): Promise<void> {
    const { o, s } = this;
    const metrics: Record<string, number> = { ...(s.lastEval ?? {}) };
    if (s.lastLoss !== null) metrics.loss = s.lastLoss;
    await o.checkpoint?.save({
      step: s.step,
      model: o.model,
      optimizer: o.optimizer.stateDict(),
      scheduler: o.scheduler?.stateDict?.() ?? null,
      rng: this.rng.getState(),
      metrics,
      extra: { fit: s.toProgress(this.elapsed, this.early) },
    });
    this.lastSaved = s.step;
    await this.emit({ type: 'checkpoint', ...this.base() });
  }
}

/**
 * The synchronous part of one training step of `fit` (fit.ts), which runs it in a tidy() scope:
 * zeroGrad -> lossFn -> check the loss is finite -> backward -> check every gradient -> gradClip ->
 * optimizer.step. A non-finite loss or gradient ends the step early with what was found: the
 * parameter, and the op that produced the first non-finite value (found by walking the forward
 * graph, or by running the batch again with every backward rule watched, see nan-guard.ts). What
 * to do about it (fit's NaN policy) is the loop's business.
 */
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { ShapeError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { clipGradNorm } from './clip.js';
import { type FitContext, type FitOptions, fitError } from './fit-options.js';
import { mapState, type RngState } from './fit-state.js';
import {
  type Anomaly,
  findForwardAnomaly,
  findNonFiniteGradient,
  type NanFound,
  watchBackward,
} from './nan-guard.js';

/** What the synchronous part of a training step ends with: a NaN found, or the step's results. */
export type StepOutcome =
  | { nan: NanFound }
  | { nan: null; loss: number; gradNorm: number | null; carry: unknown; tokens: number | undefined };

/** Runs the steps of one fit run on its model, optimizer and RNG (see the file comment). */
export class StepComputer<M extends Module, B, S> {
  private readonly named: [string, Tensor][];
  private readonly params: Tensor[];
  private readonly names: Map<Tensor, string>;

  constructor(
    private readonly o: FitOptions<M, B, S>,
    private readonly rng: Rng,
    private readonly clip: { maxNorm: number; normType: number } | null,
  ) {
    this.named = o.model.namedParameters();
    this.params = this.named.map(([, p]) => p);
    this.names = new Map(this.named.map(([n, t]) => [t, n]));
  }

  /** zeroGrad, forward, backward, clipping and the optimizer step of one batch (inside tidy). */
  compute(batch: B, state: S | null, ctx: FitContext): StepOutcome {
    const opt = this.o.optimizer;
    const rngBefore = this.rng.getState();
    opt.zeroGrad();
    const out = this.callLoss(batch, state, ctx);
    const loss = out.loss.item();
    if (!Number.isFinite(loss)) {
      const a = findForwardAnomaly(out.loss, this.names);
      return { nan: { kind: 'loss', parameter: a?.parameter ?? null, value: loss, anomaly: a } };
    }
    out.loss.backward();
    const bad = findNonFiniteGradient(this.named);
    if (bad) {
      const anomaly = this.replay(batch, state, ctx, rngBefore);
      return { nan: { kind: 'gradient', parameter: bad.name, value: bad.value, anomaly } };
    }
    const c = this.clip;
    const gradNorm = c ? clipGradNorm(this.params, c.maxNorm, c.normType) : null;
    opt.step();
    // A copy off the tape: no gradient crosses into the next batch.
    const carry = out.state === undefined ? null : (mapState(out.state, (t) => t.clone()) as S | null);
    return { nan: null, loss, gradNorm, carry, tokens: out.tokens };
  }

  private callLoss(
    batch: B,
    state: S | null,
    ctx: FitContext,
  ): { loss: Tensor; state?: S | null; tokens?: number } {
    const r = this.o.lossFn(this.o.model, batch, state, ctx);
    const out = r instanceof Tensor ? { loss: r } : r;
    if (!out || !(out.loss instanceof Tensor))
      fitError('lossFn must return a loss Tensor or { loss, state?, tokens? }, synchronously');
    if (out.loss.size !== 1)
      throw new ShapeError(`fit: the loss must have one element, got shape [${out.loss.shape.join(', ')}]`);
    return out;
  }

  /** Runs the batch again from the same RNG state with every backward rule watched, to name the op. */
  private replay(batch: B, state: S | null, ctx: FitContext, rngBefore: RngState): Anomaly | null {
    if (this.o.locateNanOp === false) return null;
    const after = this.rng.getState();
    this.rng.setState(rngBefore);
    this.o.optimizer.zeroGrad();
    try {
      const again = this.callLoss(batch, state, ctx).loss;
      return watchBackward(again, () => again.backward(), this.names);
    } catch {
      return null;
    } finally {
      this.rng.setState(after);
    }
  }
}

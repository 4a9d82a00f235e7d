/**
 * The learning-rate schedule of `recur train` --lr-schedule constant|cosine: a linear warm-up over
 * `warmupSteps`, then constant or a half cosine from `lr` down to `lr * minLrRatio` at
 * `totalSteps`, held there afterwards (PyTorch's CosineAnnealingLR would rise again past its end).
 *
 * The rate is a closed form of the step, so a resumed run continues exactly. When a run is bounded
 * by time (--max-minutes) the number of steps it will reach is not known in advance: the trainer
 * then sets `totalSteps` from the measured speed now and then (`estimate`), and the value in force
 * is saved with every checkpoint.
 */
import { CheckpointError } from '../util/errors.js';

interface LrGroups {
  readonly paramGroups: { lr: number }[];
}

export interface ScheduleState {
  type: 'recur-train-schedule';
  lastStep: number;
  totalSteps: number | null;
}

export class TrainSchedule {
  lastStep = 0;

  constructor(
    private readonly optimizer: LrGroups,
    readonly baseLr: number,
    readonly kind: 'constant' | 'cosine',
    readonly warmupSteps: number,
    readonly minLrRatio: number,
    /** The step at which the cosine reaches its end; null while unknown (the rate stays at lr). */
    public totalSteps: number | null,
  ) {
    this.apply();
  }

  /** The rate for step `step` (0-based count of completed steps). */
  lrAt(step: number, baseLr: number): number {
    const w = this.warmupSteps;
    if (w > 0 && step < w) return (baseLr * (step + 1)) / w;
    if (this.kind === 'constant' || this.totalSteps === null) return baseLr;
    const span = Math.max(1, this.totalSteps - w);
    const p = Math.min(1, Math.max(0, (step - w) / span));
    const r = this.minLrRatio;
    return baseLr * (r + ((1 - r) * (1 + Math.cos(Math.PI * p))) / 2);
  }

  /** Called by fit after every optimizer step. */
  step(): void {
    this.lastStep++;
    this.apply();
  }

  private apply(): void {
    for (const g of this.optimizer.paramGroups) g.lr = this.lrAt(this.lastStep, this.baseLr);
  }

  /** Sets the end of the cosine from an estimate (rounded), never before the current step. */
  estimate(totalSteps: number): void {
    this.totalSteps = Math.max(this.lastStep + 1, Math.round(totalSteps));
  }

  stateDict(): ScheduleState {
    return { type: 'recur-train-schedule', lastStep: this.lastStep, totalSteps: this.totalSteps };
  }

  loadStateDict(s: unknown): void {
    const st = s as ScheduleState | null;
    const ok =
      typeof st === 'object' &&
      st !== null &&
      st.type === 'recur-train-schedule' &&
      Number.isSafeInteger(st.lastStep) &&
      st.lastStep >= 0 &&
      (st.totalSteps === null || (Number.isSafeInteger(st.totalSteps) && st.totalSteps >= 1));
    if (!ok) {
      throw new CheckpointError(
        `TrainSchedule.loadStateDict: expected { type: 'recur-train-schedule', lastStep, totalSteps }, got ${JSON.stringify(s)}`,
      );
    }
    this.lastStep = st.lastStep;
    this.totalSteps = st.totalSteps;
    this.apply();
  }
}

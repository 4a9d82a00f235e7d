/**
 * Step timing shared by the Node-side runners: warm-up, then a median over timed steps.
 *
 * Warm-up runs `warmup` steps (two when steps take seconds) and continues until `warmupMs` have passed (V8 first runs new
 * WebAssembly and hot JavaScript in a baseline tier; DESIGN.md §3). The number of timed steps is
 * at least `minSteps`, more when steps are short (about `targetSeconds` in all), and is cut to no
 * fewer than 3 when `minSteps` steps would exceed `maxSeconds` (the result is then marked `capped`).
 */

export interface TimingOptions {
  minSteps: number;
  warmup: number;
  targetSeconds: number;
  maxSeconds: number;
  warmupMs: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  minSteps: 10,
  warmup: 3,
  targetSeconds: 3,
  maxSeconds: 600,
  warmupMs: 300,
};

export interface Timing {
  medianMs: number;
  steps: number;
  warmup: number;
  capped: boolean;
  /** Median of each named phase a step reported. */
  phases?: Record<string, number>;
}

/** A step returns nothing or the milliseconds of its phases (or a promise of that: onnxruntime). */
export type StepResult = Record<string, number> | undefined;
export type StepFn = () => StepResult | Promise<StepResult>;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export async function timeSteps(step: StepFn, o: TimingOptions): Promise<Timing> {
  const w0 = performance.now();
  let warm = 0;
  let lastMs = 0;
  // At least min(warmup, 2) steps (and one); the rest of `warmup` only while warm-up has taken < 5 s (a
  // multi-second step is warm after two); then more steps until `warmupMs` (at most 50).
  const need = Math.max(1, Math.min(o.warmup, 2));
  for (;;) {
    const el = performance.now() - w0;
    if (warm >= need && (warm >= o.warmup || el > 5000) && (el >= o.warmupMs || warm >= 50)) break;
    const s = performance.now();
    await step();
    lastMs = performance.now() - s;
    warm++;
  }
  const est = Math.max(lastMs, 1e-3);
  const budget = o.maxSeconds * 1000;
  let steps = Math.max(o.minSteps, Math.min(2000, Math.ceil((o.targetSeconds * 1000) / est)));
  if (est * steps > budget) steps = Math.max(o.minSteps, Math.floor(budget / est));
  let capped = false;
  if (est * o.minSteps > budget) {
    steps = Math.max(Math.min(3, o.minSteps), Math.floor(budget / est));
    capped = steps < o.minSteps;
  }
  const times: number[] = [];
  const phaseTimes: Record<string, number[]> = {};
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    const ph = await step();
    times.push(performance.now() - s);
    if (ph) for (const [k, v] of Object.entries(ph)) (phaseTimes[k] ??= []).push(v);
  }
  const out: Timing = { medianMs: median(times), steps, warmup: warm, capped };
  const names = Object.keys(phaseTimes);
  if (names.length > 0) {
    out.phases = {};
    for (const k of names) out.phases[k] = median(phaseTimes[k]);
  }
  return out;
}

/** Peak and current resident set size of this process, in MB. */
export function rssMB(): { peak: number; now: number } {
  return {
    peak: process.resourceUsage().maxRSS / 1024,
    now: process.memoryUsage().rss / 1048576,
  };
}

/** A prepared implementation of one task: its step, and what the result reports about it. */
export interface Runner {
  step: StepFn;
  /** Tokens per step (differs from the task's when a peer cannot batch). */
  tokensPerStep: number;
  info: Record<string, unknown>;
  note?: string;
}

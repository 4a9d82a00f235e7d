/**
 * Two cores for the wasm kernels: the main-thread side of the worker team. (The thread setting is
 * in thread-setting.ts, the knobs of the splitting policy in tuning.ts.)
 *
 * Each wasm backend instance can own one persistent worker thread (worker.ts) that instantiates
 * the same compiled module on the same shared memory. A large kernel call is cut into chunks of
 * output columns (jobs.ts); the main thread posts the job in a control block on a
 * SharedArrayBuffer and both threads claim chunks, the main thread from the front and the worker
 * from the back, with compare-and-swap on one claim word. No message is posted per job.
 *
 * Protocol (all through Atomics on the control block, see CTRL):
 *   main:   args, CLAIM = chunks << 16, STATE = POSTED (+ notify if the worker sleeps), claim and
 *           run chunks; when none are left: CAS STATE POSTED -> IDLE. If that succeeds the
 *           worker never joined and there is nothing to wait for. Otherwise the worker holds
 *           the job: spin ~mainSpinUs on STATE, then Atomics.wait, until DONE; STATE = IDLE.
 *   worker: CAS STATE POSTED -> TAKEN, then read the args, claim and run chunks, STATE = DONE
 *           (+ notify if main sleeps). Between jobs it spins ~workerSpinUs, then Atomics.wait.
 * Because the worker takes a job by CAS before reading its arguments, and main cancels a job the
 * worker has not taken by the same CAS, a late worker can never run a stale job, and main never
 * waits for a worker that is slow to wake: it only waits for the chunks the worker has claimed.
 *
 * When splitting pays: only for calls of at least `minFlopHot` (worker spinning, joins in about a
 * microsecond) or `minFlopCold` (worker asleep: waking it costs tens of microseconds). When it does
 * not pay (another process on the second core): jobs are timed against the same jobs (kind and
 * FLOP) run on the main thread alone in short probe periods (every 2 s); per 50 ms window, a split
 * less than 1.1 times as fast as that, a worker missing more than a third of the jobs posted while
 * it was spinning, or one wait of over 10 ms for it switches splitting off for a backoff period
 * (doubling while it keeps failing), after which it is tried again (see `noteJob`). A call too
 * small to wake a sleeping worker for runs on one thread but wakes it, so that the calls after it
 * find it spinning.
 *
 * Node only: the worker comes from `process.getBuiltinModule('node:worker_threads')` (see
 * thread-setting.ts), so this module loads anywhere; where there are no worker threads
 * (browsers), the setting is 1 thread.
 */
import { CTRL, runChunk, STATE } from './jobs.js';
import type { KernelExports } from './kernel-exports.js';
import { type WorkerLike, workerExecArgv, workerThreads } from './thread-setting.js';
import { teams, tuning } from './tuning.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

export interface TeamStats {
  /** 'starting' until the worker has instantiated the module, 'failed' if it could not. */
  status: 'starting' | 'ready' | 'failed';
  /** Jobs posted, jobs the worker joined, chunks each thread ran, wake-ups without a job. */
  jobs: number;
  joined: number;
  wakes: number;
  mainChunks: number;
  workerChunks: number;
  /** Joined jobs where the main thread waited too long for the worker. */
  late: number;
  /**
   * Times splitting was switched off (and why: the worker missed jobs; it was late, or the split
   * was slower than one thread), and whether it is off now (also during a probe period).
   */
  disables: number;
  disabledMissed: number;
  disabledLate: number;
  disabled: boolean;
  /** Error text from the worker, if it failed. */
  error: string;
}

/** The worker of one wasm instance, seen from the main thread. */
export class Team {
  readonly ctrl: Int32Array;
  private worker: WorkerLike | null = null;
  private status: TeamStats['status'] = 'starting';
  private error = '';
  readonly ready: Promise<boolean>;
  private resolveReady: (ok: boolean) => void = () => {};
  private refs = 0;

  private jobs = 0;
  private joined = 0;
  private mainChunks = 0;
  private late = 0;
  /**
   * The splitting policy (see noteJob): while `disabledUntil` is in the future, jobs run every
   * chunk on the main thread and are timed by shape (`soloSum`); otherwise they are shared and
   * timed per 50 ms window (`win`: jobs, jobs the worker missed, jobs of a shape timed alone, the
   * one-thread and the split time of those).
   */
  private windowAt = 0;
  private win = { jobs: 0, missed: 0, known: 0, soloMs: 0, splitMs: 0 };
  /** Time of each job shape (kind and FLOP) on the main thread alone: sums while off, then means. */
  private soloSum = new Map<number, { ms: number; n: number }>();
  private soloMs = new Map<number, number>();
  private lastProbe = 0;
  private probing = false;
  private soloJobs = 0;
  /** The FLOP of the job `usable` last approved (read by `run`). */
  private pendingCost = 0;
  private wakes = 0;
  private lastWake = -1e9;
  private disables = 0;
  private disabledMissed = 0;
  private disabledLate = 0;
  private disabledUntil = 0;
  private backoffMs = tuning.backoffMinMs;
  /** When splitting was last switched on (performance.now()), for the backoff rule. */
  private enabledAt = performance.now();

  constructor(module: WasmModule, memory: WasmMemory, workerTile: number) {
    this.ctrl = new Int32Array(new SharedArrayBuffer(CTRL.LENGTH * 4));
    this.ready = new Promise<boolean>((resolve) => {
      this.resolveReady = resolve;
    });
    this.applyTuning();
    const wt = workerThreads();
    if (!wt) {
      this.fail('worker_threads is not available');
      return;
    }
    try {
      const url = new URL('./worker.js', import.meta.url);
      const workerData = { module, memory, ctrl: this.ctrl.buffer, tile: workerTile };
      let w: WorkerLike;
      try {
        w = new wt.Worker(url, { workerData, execArgv: workerExecArgv() });
      } catch {
        // A filtered option list that Node still refuses (a process-wide flag): no options.
        w = new wt.Worker(url, { workerData, execArgv: [] });
      }
      w.on('message', (m) => {
        if (m === 'ready') {
          if (this.status === 'starting') this.status = 'ready';
          this.resolveReady(this.status === 'ready');
        } else if (m && typeof m === 'object' && 'error' in m) {
          this.error = String((m as { error: unknown }).error);
        }
      });
      w.on('error', (e) => this.fail(e instanceof Error ? e.message : String(e)));
      w.on('exit', () => this.fail('the worker thread exited'));
      // After the listeners: adding a 'message' listener refs the worker's port again.
      w.unref();
      this.worker = w;
      teams.add(this);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  private fail(msg: string): void {
    this.status = 'failed';
    if (!this.error) this.error = msg;
    teams.delete(this);
    this.resolveReady(false);
  }

  /** Copies the worker-side knobs into the control block. */
  applyTuning(): void {
    Atomics.store(this.ctrl, CTRL.SPIN_US, Math.max(0, Math.round(tuning.workerSpinUs)));
    Atomics.store(this.ctrl, CTRL.DELAY_US, Math.max(0, Math.round(tuning.workerDelayUs)));
  }

  get failed(): boolean {
    return this.status === 'failed';
  }

  /** Keeps the process alive while someone awaits `ready` (the worker is unref'd otherwise). */
  async whenReady(): Promise<boolean> {
    if (this.status === 'ready') return true;
    if (this.failed || !this.worker) return false;
    if (this.refs++ === 0) this.worker.ref();
    try {
      return await this.ready;
    } finally {
      if (--this.refs === 0 && this.worker) this.worker.unref();
    }
  }

  /** Stops the worker thread (its wasm instance is collected); the team stays failed. */
  terminate(): void {
    const w = this.worker;
    this.worker = null;
    this.fail('terminated');
    void w?.terminate();
  }

  /** True when a call of `cost` FLOP should be split now. */
  usable(cost: number): boolean {
    if (this.status !== 'ready') {
      // The worker's 'ready' message needs the event loop; a synchronous program never yields
      // to it, so the flag the worker sets in the control block counts as well.
      if (this.status !== 'starting' || Atomics.load(this.ctrl, CTRL.READY) !== 1) return false;
      this.status = 'ready';
      this.resolveReady(true);
    }
    this.pendingCost = cost;
    if (this.disabledUntil !== 0) {
      const now = performance.now();
      // Off: the job runs on this thread alone, timed (see run), so that the one-thread speed of
      // the same work is known when the split speed is judged.
      // A probe (a period off only to time the jobs) lasts until it has timed 8 jobs.
      if (now < this.disabledUntil || (this.probing && this.soloJobs < 8)) return tuning.fallback;
      this.disabledUntil = 0;
      this.probing = false;
      this.soloJobs = 0;
      this.enabledAt = now;
      if (this.soloMs.size > 4096) this.soloMs.clear();
      for (const [key, v] of this.soloSum) this.soloMs.set(key, v.ms / v.n);
      this.soloSum.clear();
      this.windowAt = now;
      this.win = { jobs: 0, missed: 0, known: 0, soloMs: 0, splitMs: 0 };
    }
    if (cost >= tuning.minFlopCold || Atomics.load(this.ctrl, CTRL.WORKER_SLEEPING) === 0) return true;
    // Too small to wait for the worker to wake up: run this call on one thread, but wake the
    // worker (at most every 2 ms) so that it is spinning when the next call comes.
    const now = performance.now();
    if (now - this.lastWake > 2) {
      this.lastWake = now;
      this.wakes++;
      Atomics.notify(this.ctrl, CTRL.STATE, 1);
    }
    return false;
  }

  /**
   * Runs the job whose arguments the caller has written at CTRL.ARGS + 3 and on: `chunks` chunks
   * of `per` units of kind `kind`, shared with the worker. Returns when every chunk is done.
   */
  run(ex: KernelExports, tile: number, kind: number, chunks: number, per: number): void {
    const ctrl = this.ctrl;
    ctrl[CTRL.ARGS] = kind;
    ctrl[CTRL.ARGS + 1] = chunks;
    ctrl[CTRL.ARGS + 2] = per;
    if (this.disabledUntil !== 0) {
      // Switched off: every chunk here, in order, nothing posted; timed for the comparison.
      const s = performance.now();
      for (let c = 0; c < chunks; c++) runChunk(ex, ctrl, c, tile);
      this.soloJobs++;
      const key = this.pendingCost * 16 + kind;
      const v = this.soloSum.get(key);
      if (v) {
        v.ms += performance.now() - s;
        v.n++;
      } else this.soloSum.set(key, { ms: performance.now() - s, n: 1 });
      return;
    }
    Atomics.store(ctrl, CTRL.CLAIM, chunks << 16);
    const t0 = performance.now();
    Atomics.store(ctrl, CTRL.STATE, STATE.POSTED);
    const asleep = Atomics.load(ctrl, CTRL.WORKER_SLEEPING) === 1;
    if (asleep) Atomics.notify(ctrl, CTRL.STATE, 1);
    this.jobs++;
    let mine = 0;
    if (tuning.mainClaims) {
      for (;;) {
        const w = Atomics.load(ctrl, CTRL.CLAIM);
        const lo = w & 0xffff;
        if (lo >= w >>> 16) break;
        if (Atomics.compareExchange(ctrl, CTRL.CLAIM, w, w + 1) !== w) continue;
        runChunk(ex, ctrl, lo, tile);
        mine++;
      }
      this.mainChunks += mine;
    }
    const t1 = performance.now();
    if (
      tuning.mainClaims &&
      Atomics.compareExchange(ctrl, CTRL.STATE, STATE.POSTED, STATE.IDLE) === STATE.POSTED
    ) {
      // The worker never took the job: nothing to wait for. Missing many jobs while it was
      // spinning means it gets little CPU time (another process on its core), and spinning for
      // jobs then only slows us down. A worker woken from Atomics.wait takes tens of
      // microseconds to start, so missing such a job says nothing (and counting those switched
      // splitting off for good in a training step, whose JavaScript phases let the worker sleep).
      // Nor does a burst of them (see noteJob).
      if (!asleep) this.noteJob(t1, kind, true, t1 - t0);
      return;
    }
    this.waitDone();
    const t2 = performance.now();
    Atomics.store(ctrl, CTRL.STATE, STATE.IDLE);
    if (ctrl[CTRL.ERROR] !== 0) {
      this.fail(this.error || 'the worker thread failed on a job');
      void this.worker?.terminate();
      throw new Error(`wasm kernels: the worker thread failed (${this.error})`);
    }
    this.joined++;
    if (!tuning.mainClaims) return;
    // What the split bought and cost: the worker ran (chunks - mine) chunks of about chunkMs
    // each, and main waited `wait` for the last of them.
    const chunkMs = (t1 - t0) / Math.max(1, mine);
    const wait = t2 - t1;
    const late = wait > 2 * chunkMs + tuning.lateSlackUs / 1000;
    if (late) this.late++;
    // One job that lost more than 10 ms and more than its whole one-thread time: the worker was
    // descheduled while holding a chunk (a time slice of another process).
    if (late && wait > Math.max(chunkMs * chunks, 10)) {
      this.disabledLate++;
      this.disable(t2);
      return;
    }
    this.noteJob(t2, kind, false, t2 - t0);
  }

  /**
   * Accounts a job posted to a spinning worker and judges each 50 ms window of them. Splitting is
   * switched off when the worker missed more than a third of the jobs (it is not getting its
   * core), or when the window's jobs ran less than 1.1 times as fast as the same jobs (same kind
   * and FLOP, i.e. the same call of a training or inference loop) did on the main thread alone in
   * a period off: with another process busy, a spinning worker takes CPU time from our own main
   * thread, and the split is then slower than no split at all. Splitting is switched off for one
   * short period every 2 s (and first thing) to time the jobs alone again. Single events are no
   * sign of a busy core: on this virtual machine either thread is paused now and then for up to
   * ~6 ms (~8 pauses a second per thread on an idle machine), and the earlier rules (two late
   * jobs in 16, 8 missed in 32, one wait over 1 ms) kept splitting off most of the time on a
   * quiet machine: W1 ran at 21.6k tokens/s instead of 39k.
   */
  private noteJob(now: number, kind: number, missed: boolean, ms: number): void {
    const w = this.win;
    w.jobs++;
    if (missed) w.missed++;
    const solo = this.soloMs.get(this.pendingCost * 16 + kind);
    if (solo !== undefined) {
      w.known++;
      w.soloMs += solo;
      w.splitMs += ms;
    }
    if (now - this.windowAt < 50 || !tuning.fallback) return;
    const missRate = w.jobs >= 32 ? w.missed / w.jobs : 0;
    const slow = w.known >= 8 && w.soloMs < 1.1 * w.splitMs;
    this.windowAt = now;
    this.win = { jobs: 0, missed: 0, known: 0, soloMs: 0, splitMs: 0 };
    if (missRate > 1 / 3 || slow) {
      if (slow) this.disabledLate++;
      else this.disabledMissed++;
      this.disable(now);
    } else if (this.soloMs.size === 0 || now - this.lastProbe > 2000) {
      this.lastProbe = now;
      this.probing = true;
      this.disabledUntil = now + tuning.backoffMinMs;
    }
  }

  /**
   * Switches splitting off for a while. The period doubles when splitting was on for less than two
   * periods since the last try (the other core is still busy), else it starts again at the
   * minimum, so a sporadic hiccup costs one minimum period on one thread. (Counting
   * jobs instead of time doubled the period up to 2 s after every hiccup when the jobs were
   * small: 256 matrix-vector jobs of an LSTM at batch 1 pass in 4 ms.)
   */
  private disable(now: number): void {
    if (!tuning.fallback) return;
    this.backoffMs =
      this.disables > 0 && now - this.enabledAt < 2 * this.backoffMs
        ? Math.min(this.backoffMs * 2, tuning.backoffMaxMs)
        : tuning.backoffMinMs;
    this.disabledUntil = now + this.backoffMs;
    this.probing = false;
    this.lastProbe = now;
    this.disables++;
  }

  /** Bounded spin on STATE, then Atomics.wait, until the worker reports DONE. */
  private waitDone(): void {
    const ctrl = this.ctrl;
    if (Atomics.load(ctrl, CTRL.STATE) === STATE.DONE) return;
    const start = performance.now();
    const spinMs = tuning.mainSpinUs / 1000;
    for (let i = 1; ; i++) {
      if (Atomics.load(ctrl, CTRL.STATE) === STATE.DONE) return;
      if ((i & 31) === 0 && performance.now() - start > spinMs) break;
    }
    Atomics.store(ctrl, CTRL.MAIN_SLEEPING, 1);
    for (let s = Atomics.load(ctrl, CTRL.STATE); s !== STATE.DONE; s = Atomics.load(ctrl, CTRL.STATE)) {
      if (performance.now() - start > 60_000) {
        Atomics.store(ctrl, CTRL.MAIN_SLEEPING, 0);
        this.fail('the worker thread stopped responding');
        throw new Error('wasm kernels: the worker thread stopped responding');
      }
      Atomics.wait(ctrl, CTRL.STATE, s, 100);
    }
    Atomics.store(ctrl, CTRL.MAIN_SLEEPING, 0);
  }

  stats(): TeamStats {
    return {
      status: this.status,
      jobs: this.jobs,
      joined: this.joined,
      wakes: this.wakes,
      mainChunks: this.mainChunks,
      workerChunks: Atomics.load(this.ctrl, CTRL.WORKER_CHUNKS),
      late: this.late,
      disables: this.disables,
      disabledMissed: this.disabledMissed,
      disabledLate: this.disabledLate,
      disabled: this.disabledUntil !== 0 && performance.now() < this.disabledUntil,
      error: this.error,
    };
  }
}

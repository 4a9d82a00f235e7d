/**
 * The cells of `recur example adding|copy-memory` trained at the same time: one child process
 * per cell (the same command with that one cell, on one thread), at most `jobs` at once, so each
 * cell has a core of its own. Cells do not share anything and each has its own seeds, so a cell's
 * result does not depend on which others run beside it, except through time limits.
 *
 * Time: a cell started `e` minutes into the command may train for min(--max-minutes,
 * --budget-minutes - e); this holds in one process too (cellMinutes).
 *
 * The child reports through the IPC channel of `fork`: status lines while it trains and its
 * result at the end; it prints nothing itself.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CellKind } from '../models/sequence-model.js';
import type { MemoryResult } from './memory-settings.js';
import { Progress } from './progress.js';

/** The CLI's entry script, next to this module (process.argv[1] may be a test runner or a bin link). */
const CLI_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Set in a child's environment; the child then reports by IPC instead of printing. */
export const CHILD_ENV = 'RECUR_MEMORY_CHILD';

export type ChildMessage =
  | { type: 'status'; cell: CellKind; text: string }
  | { type: 'result'; result: MemoryResult };

/**
 * Minutes a cell may train when it starts `elapsedMinutes` into the command, or null when less
 * than 3 seconds of the budget are left (the cell is not run).
 */
export function cellMinutes(
  maxMinutes: number,
  budgetMinutes: number,
  elapsedMinutes: number,
): number | null {
  const m = Math.min(maxMinutes, budgetMinutes - elapsedMinutes);
  return m < 0.05 ? null : m;
}

/** The line printed for a cell that cellMinutes left out. */
export function notRunLine(cell: CellKind, budgetMinutes: number): string {
  return `  ${cell.padEnd(5)} not run: the ${budgetMinutes}-minute budget is spent`;
}

/** True in a child started by runCellsInChildren. */
export function isMemoryChild(): boolean {
  return process.env[CHILD_ENV] === '1' && typeof process.send === 'function';
}

/** A Progress that sends its status lines to the parent (at most one per second). */
export class ChildProgress extends Progress {
  private last = 0;
  constructor(private readonly cell: CellKind) {
    super({ write: () => true, isTTY: false } as unknown as NodeJS.WriteStream, { tty: false });
  }
  override status(text: string | (() => string), force = false): void {
    const t = performance.now();
    if (!force && t - this.last < 1000) return;
    this.last = t;
    const msg: ChildMessage = {
      type: 'status',
      cell: this.cell,
      text: typeof text === 'string' ? text : text(),
    };
    process.send?.(msg);
  }
  override clear(): void {}
}

export interface ChildJobs {
  cells: CellKind[];
  jobs: number;
  maxMinutes: number;
  budgetMinutes: number;
  /** The command line (after the script) that trains one cell for `minutes`. */
  argvFor(cell: CellKind, minutes: number): string[];
  progress: Progress;
  /** Called as each cell finishes, in the order they finish. */
  onResult(r: MemoryResult): void;
}

/** Runs every cell in a child process, `jobs` at a time; resolves with the results in cell order. */
export function runCellsInChildren(o: ChildJobs): Promise<(MemoryResult | null)[]> {
  const t0 = performance.now();
  const results: (MemoryResult | null)[] = o.cells.map(() => null);
  const status = new Map<CellKind, string>();
  let next = 0;
  let running = 0;
  const live = new Set<ReturnType<typeof fork>>();
  return new Promise((resolve, reject) => {
    let failed = false;
    // One cell failing ends the command: the cells still training are stopped, not left behind.
    const fail = (e: Error) => {
      failed = true;
      for (const c of live) c.kill();
      reject(e);
    };
    const draw = () => o.progress.status(() => [...status.values()].join(' | '));
    const launch = (): void => {
      while (!failed && running < o.jobs && next < o.cells.length) {
        const i = next++;
        const cell = o.cells[i];
        const minutes = cellMinutes(o.maxMinutes, o.budgetMinutes, (performance.now() - t0) / 60000);
        if (minutes === null) {
          o.progress.line(notRunLine(cell, o.budgetMinutes));
          continue;
        }
        running++;
        const child = fork(CLI_MAIN, o.argvFor(cell, minutes), {
          env: { ...process.env, [CHILD_ENV]: '1', RECUR_THREADS: '1' },
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        });
        live.add(child);
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        child.on('message', (m: ChildMessage) => {
          if (m.type === 'status') {
            status.set(m.cell, m.text);
            draw();
          } else if (m.type === 'result') {
            results[i] = m.result;
            status.delete(cell);
            o.onResult(m.result);
          }
        });
        child.on('error', fail);
        child.on('exit', (code, signal) => {
          running--;
          live.delete(child);
          if (failed) return;
          if (code !== 0 || results[i] === null) {
            fail(
              new Error(
                `example: the ${cell} cell's process ended with ${signal ?? `exit code ${code}`} before reporting a result${stderr ? `:\n${stderr.trim()}` : ''}`,
              ),
            );
            return;
          }
          if (next >= o.cells.length && running === 0) resolve(results);
          else launch();
        });
      }
      if (!failed && running === 0 && next >= o.cells.length) resolve(results);
    };
    launch();
  });
}

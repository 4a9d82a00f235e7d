/**
 * A JSON-lines metrics log (`metrics.jsonl`): one JSON object per line, appended as training goes.
 * Writes go through an append stream, so logging never blocks a training step on the disk; `close()`
 * waits until everything written is in the file. A reader skips a torn last line (a crash while
 * appending), so the log stays usable whatever happened.
 *
 * Resuming: `MetricsLog.open(path, { keepThroughStep })` first drops the records of steps after
 * the checkpoint being resumed (they will be computed again), rewriting the file atomically.
 */
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { DataError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

export type MetricsRecord = Record<string, unknown>;

export interface OpenMetricsOptions {
  /** Keep only records whose `step` is at most this (records without a step are kept). */
  keepThroughStep?: number;
}

/** Non-finite numbers have no JSON form; they are written as strings ("NaN", "Infinity"). */
function replacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

export class MetricsLog {
  private stream: WriteStream | null;
  private error: Error | null = null;

  private constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (e) => {
      this.error = e;
    });
  }

  /** Opens (creating if needed) the log at `path` for appending. */
  static open(path: string, options: OpenMetricsOptions = {}): MetricsLog {
    const keep = options.keepThroughStep;
    if (keep !== undefined && existsSync(path)) {
      const kept = MetricsLog.read(path).filter((r) => typeof r.step !== 'number' || r.step <= keep);
      writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r, replacer)}\n`).join(''));
    }
    return new MetricsLog(path);
  }

  /**
   * The records of a log file, in order. A torn last line is skipped; an unreadable line
   * elsewhere is a DataError naming the file and line.
   */
  static read(path: string): MetricsRecord[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(`metrics log ${path}: cannot read it (${code ?? (e as Error).message})`);
    }
    const lines = text.split('\n');
    const out: MetricsRecord[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const r = JSON.parse(line);
        if (typeof r === 'object' && r !== null && !Array.isArray(r)) {
          out.push(r as MetricsRecord);
          return;
        }
      } catch {
        // handled below
      }
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new DataError(`metrics log ${path}: line ${i + 1} is not a JSON object`);
    });
    return out;
  }

  /** Appends one record (not blocking: the stream writes it out in the background). */
  write(record: MetricsRecord): void {
    if (this.error) throw new DataError(`metrics log ${this.path}: cannot write (${this.error.message})`);
    if (!this.stream) throw new DataError(`metrics log ${this.path}: the log is closed`);
    this.stream.write(`${JSON.stringify(record, replacer)}\n`);
  }

  /** Waits until everything written so far is in the file. */
  flush(): Promise<void> {
    const s = this.stream;
    if (!s || s.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => s.write('', () => resolve()));
  }

  /** Flushes and closes the log. */
  close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve, reject) => {
      s.end(() => (this.error ? reject(this.error) : resolve()));
    });
  }
}

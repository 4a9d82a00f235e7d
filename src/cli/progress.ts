/**
 * Progress output for long commands. On a terminal, one live status line is rewritten in place
 * (carriage return, at most a few times a second); other messages print above it. When the output
 * is not a terminal (a pipe, a log file, CI) there is no carriage return: the status is printed as
 * a plain line now and then, so a log stays readable.
 */

export interface ProgressOptions {
  /** Force terminal (live line) or plain mode; default: whether the stream is a TTY. */
  tty?: boolean;
  /** Minimum milliseconds between two redraws of the live line (default 250). */
  redrawMs?: number;
  /** Minimum milliseconds between two status lines in plain mode (default 15000). */
  plainMs?: number;
  /** Clock in milliseconds (default performance.now). */
  now?: () => number;
}

type Out = { write(s: string): unknown; isTTY?: boolean; columns?: number };

export class Progress {
  readonly tty: boolean;
  private readonly redrawMs: number;
  private readonly plainMs: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private shown = false;

  constructor(
    private readonly out: Out = process.stdout,
    options: ProgressOptions = {},
  ) {
    this.tty = options.tty ?? out.isTTY === true;
    this.redrawMs = options.redrawMs ?? 250;
    this.plainMs = options.plainMs ?? 15000;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Offers a new status. It is drawn when enough time has passed since the last draw (or when
   * `force`); the text is built only then, so a caller may pass a function and pay nothing.
   */
  status(text: string | (() => string), force = false): void {
    const t = this.now();
    const gap = this.tty ? this.redrawMs : this.plainMs;
    if (!force && t - this.lastDraw < gap) return;
    this.lastDraw = t;
    const s = typeof text === 'string' ? text : text();
    if (this.tty) {
      const cols = this.out.columns || 100;
      const fitted = s.length >= cols ? `${s.slice(0, Math.max(1, cols - 2))}…` : s;
      this.out.write(`\r${fitted}\x1b[K`);
      this.shown = true;
    } else {
      this.out.write(`${s}\n`);
    }
  }

  /** Prints a message on a line of its own (above the live line, which is redrawn next time). */
  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    // Let the next status redraw at once.
    this.lastDraw = Number.NEGATIVE_INFINITY;
  }

  /** Removes the live line (before the program prints something else or exits). */
  clear(): void {
    if (this.tty && this.shown) {
      this.out.write('\r\x1b[K');
      this.shown = false;
    }
  }
}

/**
 * Metrics of a classifier or tagger from its predictions, after scikit-learn's
 * `confusion_matrix` and `classification_report`:
 *
 *   cm[t][p]      = number of items of true class t predicted as p
 *   precision_c   = cm[c][c] / Σ_t cm[t][c]        (0 when class c was never predicted)
 *   recall_c      = cm[c][c] / Σ_p cm[c][p]        (0 when class c never occurs)
 *   F1_c          = 2 P R / (P + R)                 (0 when P + R = 0)
 *   macro         = unweighted mean over classes;  weighted = mean weighted by support
 *   accuracy      = Σ_c cm[c][c] / N
 *
 * The zero conventions are scikit-learn's `zero_division=0`. Pure functions over arrays: no
 * tensors, so they work on predictions from any model.
 */
import { ConfigError, DataError } from '../util/errors.js';

/** Counts [numClasses][numClasses]: rows are the true classes, columns the predicted ones. */
export type ConfusionMatrix = number[][];

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Items of this class in the true labels. */
  support: number;
}

export interface ClassificationReport {
  /** Number of items scored. */
  count: number;
  accuracy: number;
  /** One entry per class, in class-id order. */
  perClass: ClassScores[];
  /** Unweighted means over the classes (support: the total). */
  macro: ClassScores;
  /** Means weighted by support. */
  weighted: ClassScores;
  confusion: ConfusionMatrix;
}

function checkClasses(numClasses: number, where: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ConfigError(`${where}: numClasses must be a positive integer, got ${numClasses}`);
  }
}

/**
 * The confusion matrix of `predicted` against `truth` (class ids in [0, numClasses)). Positions
 * where the true label equals `ignoreIndex` (default -100, the padding of per-step labels) are
 * skipped.
 */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
  options: { ignoreIndex?: number } = {},
): ConfusionMatrix {
  const where = 'confusionMatrix';
  checkClasses(numClasses, where);
  if (truth.length !== predicted.length) {
    throw new DataError(
      `${where}: truth and predicted must have the same length, got ${truth.length} and ${predicted.length}`,
    );
  }
  const ignore = options.ignoreIndex ?? -100;
  const cm: ConfusionMatrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t === ignore) continue;
    const p = predicted[i];
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) {
      throw new DataError(`${where}: truth[${i}] is ${t}, expected a class in [0, ${numClasses})`);
    }
    if (!Number.isInteger(p) || p < 0 || p >= numClasses) {
      throw new DataError(`${where}: predicted[${i}] is ${p}, expected a class in [0, ${numClasses})`);
    }
    cm[t][p]++;
  }
  return cm;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Accuracy, precision, recall and F1 per class, their macro and weighted means, from a confusion matrix. */
export function reportFromConfusion(cm: ConfusionMatrix): ClassificationReport {
  const where = 'reportFromConfusion';
  const C = cm.length;
  checkClasses(C, where);
  if (!cm.every((row) => Array.isArray(row) && row.length === C)) {
    throw new DataError(`${where}: the confusion matrix must be ${C} x ${C}`);
  }
  let total = 0;
  let correct = 0;
  const perClass: ClassScores[] = [];
  for (let c = 0; c < C; c++) {
    let predictedC = 0;
    let actualC = 0;
    for (let k = 0; k < C; k++) {
      predictedC += cm[k][c];
      actualC += cm[c][k];
    }
    const tp = cm[c][c];
    total += actualC;
    correct += tp;
    const precision = ratio(tp, predictedC);
    const recall = ratio(tp, actualC);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass.push({ precision, recall, f1, support: actualC });
  }
  const mean = (w: (s: ClassScores) => number): ClassScores => {
    const den = perClass.reduce((s, p) => s + w(p), 0);
    const avg = (k: 'precision' | 'recall' | 'f1') =>
      ratio(
        perClass.reduce((s, p) => s + w(p) * p[k], 0),
        den,
      );
    return { precision: avg('precision'), recall: avg('recall'), f1: avg('f1'), support: total };
  };
  return {
    count: total,
    accuracy: ratio(correct, total),
    perClass,
    macro: mean(() => 1),
    weighted: mean((s) => s.support),
    confusion: cm.map((r) => r.slice()),
  };
}

/** `reportFromConfusion(confusionMatrix(truth, predicted, numClasses, options))`. */
export function classificationReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
  options: { ignoreIndex?: number } = {},
): ClassificationReport {
  return reportFromConfusion(confusionMatrix(truth, predicted, numClasses, options));
}

/** The class with the highest score in each row of `scores` [rows, numClasses] (ties: the lowest id). */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  checkClasses(numClasses, 'argmaxRows');
  if (scores.length % numClasses !== 0) {
    throw new DataError(`argmaxRows: ${scores.length} scores is not a multiple of numClasses ${numClasses}`);
  }
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if (scores[r * numClasses + c] > scores[r * numClasses + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** The report as a table, as scikit-learn prints it, followed by the confusion matrix. */
export function formatReport(r: ClassificationReport, classNames?: readonly string[], digits = 4): string {
  const names = r.perClass.map((_, c) => classNames?.[c] ?? String(c));
  const w = Math.max(12, ...names.map((n) => n.length));
  const f = (v: number) => v.toFixed(digits).padStart(digits + 6);
  const head = `${''.padEnd(w)}${['precision', 'recall', 'f1', 'support'].map((h) => h.padStart(digits + 6)).join('')}`;
  const row = (name: string, s: ClassScores) =>
    `${name.padEnd(w)}${f(s.precision)}${f(s.recall)}${f(s.f1)}${String(s.support).padStart(digits + 6)}`;
  const lines = [head, ...r.perClass.map((s, c) => row(names[c], s)), ''];
  lines.push(
    `${'accuracy'.padEnd(w)}${''.padStart(2 * (digits + 6))}${f(r.accuracy)}${String(r.count).padStart(digits + 6)}`,
  );
  lines.push(row('macro avg', r.macro), row('weighted avg', r.weighted), '');
  const cw = Math.max(
    6,
    ...r.confusion.flat().map((v) => String(v).length + 1),
    ...names.map((n) => n.length + 1),
  );
  lines.push(`confusion (rows: true, columns: predicted)`);
  lines.push(`${''.padEnd(w)}${names.map((n) => n.padStart(cw)).join('')}`);
  r.confusion.forEach((rowV, c) => {
    lines.push(`${names[c].padEnd(w)}${rowV.map((v) => String(v).padStart(cw)).join('')}`);
  });
  return lines.join('\n');
}

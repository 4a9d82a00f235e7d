import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { BudgetCosine } from './example-g2p.js';
import { runCellsInChildren } from './memory-jobs.js';
import { Progress } from './progress.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

function recur(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('recur example adding / copy-memory (tiny runs)', () => {
  it('trains each cell and reports solved or not, with the test errors', () => {
    const r = recur(
      'example',
      'adding',
      '--T',
      '10',
      '--cells',
      'lstm,rnn',
      '--max-sequences',
      '640',
      '--eval-every',
      '10',
      '--test-size',
      '64',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /lstm +solved: (yes|no)/);
    const json = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    assert.equal(json.results.length, 2);
    assert.equal(json.results[0].sequencesSeen, 640);
  });

  it('cells in parallel processes (--jobs 2) give the results of one process (--jobs 1)', () => {
    const run = (jobs: string) => {
      const r = recur(
        'example',
        'copy-memory',
        '--T',
        '6',
        '--hidden-size',
        '8',
        '--cells',
        'gru,lstm',
        '--max-sequences',
        '400',
        '--eval-every',
        '20',
        '--test-size',
        '40',
        '--jobs',
        jobs,
        '--json',
      );
      assert.equal(r.code, 0, r.stderr);
      return { out: r.stdout, json: JSON.parse(r.stdout.trim().split('\n').pop() as string) };
    };
    const one = run('1');
    const two = run('2');
    assert.match(two.out, /2 cells at a time/);
    assert.doesNotMatch(one.out, /cells at a time/);
    const strip = (rs: { cell: string; sequencesSeen: number; test: object }[]) =>
      rs.map((r) => ({ cell: r.cell, seen: r.sequencesSeen, test: r.test }));
    assert.deepEqual(strip(two.json.results), strip(one.json.results));
    assert.deepEqual(
      one.json.results.map((r: { cell: string }) => r.cell),
      ['gru', 'lstm'],
    );
  });

  it('a cell that would start after --budget-minutes is not run, and says so', () => {
    const r = recur(
      'example',
      'adding',
      '--T',
      '10',
      '--cells',
      'lstm,rnn',
      '--budget-minutes',
      '0.06',
      '--jobs',
      '1',
      '--test-size',
      '32',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rnn +not run: the 0\.06-minute budget is spent/);
    const json = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    assert.equal(json.results[1], null);
    assert.ok(json.results[0].seconds >= 3 && json.results[0].seconds < 20, `${json.results[0].seconds} s`);
  });

  it("a cell's process that fails ends the run with its error, without waiting for the others", async () => {
    const t0 = performance.now();
    const progress = new Progress({ write: () => true } as unknown as NodeJS.WriteStream, { tty: false });
    await assert.rejects(
      runCellsInChildren({
        cells: ['lstm', 'gru'],
        jobs: 2,
        maxMinutes: 1,
        budgetMinutes: 1,
        // lstm would train for a minute; gru's command line is wrong
        argvFor: (cell, minutes) =>
          cell === 'lstm'
            ? ['example', 'adding', '--T', '10', '--cells', cell, '--max-minutes', `${minutes}`]
            : ['example', 'adding', '--cells', cell, '--no-such-flag'],
        progress,
        onResult: () => {},
      }),
      /the gru cell's process ended with exit code 1 before reporting a result:\n.*unknown flag --no-such-flag/,
    );
    assert.ok(performance.now() - t0 < 30_000, 'did not wait for the lstm cell');
  });

  it('copy-memory prints the baselines (10 ln 8 / (T + 20): 0.8318 at T = 5)', () => {
    const r = recur(
      'example',
      'copy-memory',
      '--T',
      '5',
      '--cells',
      'gru',
      '--max-sequences',
      '128',
      '--test-size',
      '20',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /memoryless 0\.8318 nats\/step/);
    assert.match(r.stdout, /gru +solved: /);
  });

  it('the cosine schedule (--lr-schedule cosine) decays to 5% over the step budget when time is not short', () => {
    const opt = { paramGroups: [{ lr: 0.002 }] };
    const sched = new BudgetCosine(opt, 0.002, 0.05, 3600, 10);
    const lrs: number[] = [];
    for (let i = 0; i < 12; i++) {
      sched.step();
      lrs.push(opt.paramGroups[0].lr);
    }
    assert.ok(Math.abs(lrs[4] - 0.002 * (0.05 + 0.95 * 0.5)) < 1e-12, `halfway: ${lrs[4]}`);
    assert.ok(Math.abs(lrs[9] - 0.002 * 0.05) < 1e-12, `end: ${lrs[9]}`);
    assert.equal(lrs[11], lrs[9], 'stays at the floor past the budget');
    for (let i = 1; i < lrs.length; i++) assert.ok(lrs[i] <= lrs[i - 1]);
  });

  it('an unknown example or cell is one line and exit code 1', () => {
    const a = recur('example', 'nope');
    assert.equal(a.code, 1);
    assert.match(a.stderr, /unknown example 'nope'/);
    const b = recur('example', 'adding', '--cells', 'lstm,tcn');
    assert.equal(b.code, 1);
    assert.match(b.stderr, /--cells must list lstm, gru or rnn, got 'tcn'/);
  });
});

describe('recur gradflow', () => {
  it('writes the charts, the table and the numbers', () => {
    const out = mkdtempSync(join(tmpdir(), 'recur-gradflow-'));
    try {
      const r = recur('gradflow', '--T', '12', '--hidden-size', '8', '--batch-size', '4', '--out', out);
      assert.equal(r.code, 0, r.stderr);
      for (const f of ['gradflow-adding.svg', 'gradflow-copy-memory.svg', 'gradflow.md', 'gradflow.json']) {
        assert.ok(existsSync(join(out, f)), f);
      }
      assert.match(readFileSync(join(out, 'gradflow-adding.svg'), 'utf8'), /^<svg /);
      const json = JSON.parse(readFileSync(join(out, 'gradflow.json'), 'utf8'));
      assert.equal(json.rows.length, 6);
      assert.equal(json.rows[0].hNorm.length, 12);
      assert.equal(json.rows.find((x: { task: string }) => x.task === 'copy-memory').hNorm.length, 32);
      assert.match(r.stdout, /\| adding \| rnn \| initial \|/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

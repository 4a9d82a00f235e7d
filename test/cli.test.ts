// End-to-end tests of the `recur` command: train (tiny corpus, small model, a few steps), exact
// resume (after --max-steps and after Ctrl-C), sample, eval, info, and the error cases (one line on
// stderr, non-zero exit, no stack trace). Every test spawns `node dist/src/cli/main.js`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertOneLineError,
  assertSameHistory,
  dir,
  ENV,
  MAIN,
  makeCliDir,
  records,
  recur,
  removeCliDir,
  SMALL,
} from './helpers/cli.js';

before(makeCliDir);

after(removeCliDir);

describe('recur train', () => {
  it('trains a small model for a few steps and writes the run folder', () => {
    const r = recur(
      'train',
      'corpus.txt',
      ...SMALL,
      '--max-steps',
      '12',
      '--eval-every',
      '6',
      '--out',
      'run1',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CharLM\(lstm, vocab=\d+, embed=8, hidden=24, layers=1\)/);
    assert.match(r.stdout, /step 6 .*test \d\.\d{4} bpc/);
    assert.match(r.stdout, /done: 12 steps/);
    assert.match(r.stdout, /results in run1\//);
    assert.doesNotMatch(r.stdout, /\r/, 'no carriage returns when stdout is not a terminal');
    const recs = records('run1');
    assert.deepEqual([...new Set(recs.map((x) => x.type))].sort(), ['end', 'eval', 'start', 'train']);
    const trains = recs.filter((x) => x.type === 'train');
    assert.deepEqual(
      trains.map((x) => x.step),
      [10],
    );
    assert.ok(typeof trains[0].bpc === 'number' && trains[0].bpc > 0);
    const evals = recs.filter((x) => x.type === 'eval');
    assert.deepEqual(
      evals.map((x) => x.step),
      [6, 12],
    );
    assert.equal(typeof evals[0].sample, 'string');
    const svg = readFileSync(join(dir, 'run1', 'loss.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /test bpc/);
    assert.match(svg, /<\/svg>\n$/);
    for (const f of ['checkpoints/latest.json', 'best/latest.json'])
      assert.ok(existsSync(join(dir, 'run1', f)), f);
    assert.ok(!readdirSync(join(dir, 'run1')).some((f) => f.endsWith('.tmp')), 'no temporary files left');
  });

  it('trains on the built-in names dataset', () => {
    const r = recur('train', '--dataset', 'names', ...SMALL, '--max-steps', '3', '--out', 'names');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /English first names/);
    assert.match(r.stdout, /done: 3 steps/);
  });

  it('resumes after --max-steps with exactly the losses of an uninterrupted run', () => {
    const flags = [...SMALL, '--num-layers', '2', '--dropout', '0.2', '--lr-schedule', 'constant'];
    const common = [...flags, '--eval-every', '5', '--log-every', '1'];
    assert.equal(recur('train', 'corpus.txt', ...common, '--max-steps', '20', '--out', 'whole').code, 0);
    assert.equal(recur('train', 'corpus.txt', ...common, '--max-steps', '8', '--out', 'part').code, 0);
    const r = recur('train', '--resume', 'part', '--max-steps', '20');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resuming part at step 8/);
    assertSameHistory('whole', 'part', 20);
  });

  it('Ctrl-C saves a checkpoint and exits 130; the resumed run matches an uninterrupted one', async () => {
    // The default cosine schedule: the stop and the resume both run toward the same --max-steps.
    const flags = [
      ...SMALL,
      '--hidden-size',
      '48',
      '--batch-size',
      '8',
      '--dropout',
      '0.1',
      '--eval-every',
      '25',
      '--log-every',
      '1',
      '--max-steps',
      '150',
    ];
    const child: ChildProcess = spawn(
      process.execPath,
      [MAIN, 'train', 'corpus.txt', ...flags, '--out', 'sigint'],
      {
        cwd: dir,
        env: ENV,
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.stdout?.resume();
    const log = join(dir, 'sigint', 'metrics.jsonl');
    const code = await new Promise<number | null>((resolve) => {
      let sent = false;
      const poll = setInterval(() => {
        if (!sent && existsSync(log) && readFileSync(log, 'utf8').includes('"type":"train"')) {
          sent = true;
          child.kill('SIGINT');
        }
      }, 10);
      child.on('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted at step (\d+); checkpoint saved in sigint\/checkpoints\//);
    const stopped = Number(/interrupted at step (\d+)/.exec(stderr)?.[1]);
    assert.ok(stopped > 0 && stopped < 150, `stopped at ${stopped}`);
    const r = recur('train', '--resume', 'sigint');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`resuming sigint at step ${stopped}`));
    assert.match(r.stdout, /done: 150 steps/);
    assert.equal(recur('train', 'corpus.txt', ...flags, '--out', 'nosigint').code, 0);
    assertSameHistory('nosigint', 'sigint', 150);
  });
});

describe('recur sample, eval, info', () => {
  it('sample starts with the prime, has the requested length and depends only on the seed', () => {
    const a = recur('sample', 'run1', '--prime', 'the ', '--length', '40', '--seed', '3');
    assert.equal(a.code, 0, a.stderr);
    assert.ok(a.stdout.startsWith('the '), a.stdout);
    assert.equal(a.stdout.replace(/\n$/, '').length, 44);
    const b = recur('sample', 'run1', '--prime', 'the ', '--length', '40', '--seed', '3');
    assert.equal(b.stdout, a.stdout);
    const greedy = recur(
      'sample',
      'run1',
      '--prime',
      'the ',
      '--length',
      '10',
      '--temperature',
      '0',
      '--checkpoint',
      'latest',
    );
    assert.equal(greedy.code, 0, greedy.stderr);
    const top1 = recur(
      'sample',
      'run1',
      '--prime',
      'the ',
      '--length',
      '10',
      '--top-k',
      '1',
      '--seed',
      '9',
      '--checkpoint',
      'latest',
    );
    assert.equal(top1.stdout, greedy.stdout, 'top-k 1 is greedy');
  });

  it('eval prints bits per character and perplexity of a file and of the test split', () => {
    const r = recur('eval', 'run1', 'corpus.txt');
    assert.equal(r.code, 0, r.stderr);
    const m = /corpus\.txt: (\d+\.\d+) bits per character, perplexity (\d+\.\d+) per character/.exec(
      r.stdout,
    );
    assert.ok(m, r.stdout);
    assert.ok(Math.abs(2 ** Number(m[1]) - Number(m[2])) < 0.01 * Number(m[2]));
    const t = recur('eval', 'run1');
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /the test split of corpus: \d+\.\d+ bits per character/);
    // The test split's bpc equals the one training logged at the best step (the weights eval uses).
    const best = records('run1')
      .filter((x) => x.type === 'eval')
      .reduce((a, b) => ((b.bpc as number) < (a.bpc as number) ? b : a));
    assert.match(t.stdout, new RegExp(`: ${(best.bpc as number).toFixed(4)} bits`));
  });

  it('info prints the model, its size and the training history', () => {
    const r = recur('info', 'run1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /model: +CharLM\(lstm.*# [\d,]+ parameters/);
    assert.match(r.stdout, /LSTM\(8, 24\) +# [\d,]+ parameters/);
    assert.match(r.stdout, /history: +12 steps/);
    assert.match(r.stdout, /best test \d\.\d{4} bpc at step \d+/);
    assert.match(r.stdout, /status: +finished \(maxSteps\)/);
  });

  it('--help shows the flags with their defaults', () => {
    const r = recur('train', '--help');
    assert.equal(r.code, 0);
    for (const re of [
      /--hidden-size N +units per recurrent layer \(default: 256\)/,
      /--cell lstm\|gru\|rnn/,
      /--resume DIR/,
      /--dataset moby-dick\|names/,
    ]) {
      assert.match(r.stdout, re);
    }
  });
});

describe('recur errors: one line, non-zero exit, no stack trace', () => {
  it('rejects missing, empty, binary, non-UTF-8 and directory inputs', () => {
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, 'binary.bin'), Buffer.from([104, 105, 0, 1, 2, 3, 104, 105]));
    writeFileSync(
      join(dir, 'latin1.txt'),
      Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait '.repeat(5))]),
    );
    mkdirSync(join(dir, 'adir'), { recursive: true });
    assertOneLineError(
      recur('train', 'missing.txt'),
      /train: missing\.txt: cannot read the file \(no such file\)/,
    );
    assertOneLineError(
      recur('train', 'empty.txt'),
      /train: empty\.txt: the file is empty; expected UTF-8 text/,
    );
    assertOneLineError(
      recur('train', 'binary.bin'),
      /binary\.bin: the file looks binary \(a NUL byte at offset 2\); expected UTF-8 text/,
    );
    assertOneLineError(
      recur('train', 'latin1.txt'),
      /latin1\.txt: the file is not valid UTF-8 \(byte 0xE9 at offset 3\)/,
    );
    assertOneLineError(recur('train', 'adir'), /adir: it is a directory; expected a UTF-8 text file/);
    assertOneLineError(recur('eval', 'run1', 'binary.bin'), /eval: binary\.bin: the file looks binary/);
  });

  it('rejects bad flag values, unknown flags, datasets and cells', () => {
    assertOneLineError(
      recur('train', 'corpus.txt', '--hidden-size', 'abc'),
      /train: --hidden-size must be an integer in \[1, 8192\], got 'abc'/,
    );
    assertOneLineError(
      recur('train', 'corpus.txt', '--hidden-size', '2.5'),
      /--hidden-size must be an integer/,
    );
    assertOneLineError(
      recur('train', 'corpus.txt', '--lr=-1'),
      /train: --lr must be a number in \(0, 10\], got '-1'/,
    );
    assertOneLineError(
      recur('train', 'corpus.txt', '--dropout', '1.5'),
      /train: --dropout must be a number in \[0, 0\.95\], got '1\.5'/,
    );
    assertOneLineError(recur('train', 'corpus.txt', '--hiden-size', '3'), /train: unknown flag --hiden-size/);
    assertOneLineError(recur('train', 'corpus.txt', '--lr'), /train: --lr needs a value/);
    assertOneLineError(
      recur('train', '--dataset', 'wiki'),
      /train: --dataset must be one of moby-dick, names, got 'wiki'/,
    );
    assertOneLineError(
      recur('train', 'corpus.txt', '--cell', 'lstmx'),
      /train: --cell must be one of lstm, gru, rnn, got 'lstmx'/,
    );
    assertOneLineError(recur('train'), /train: no training text; give a FILE or --dataset/);
    assertOneLineError(
      recur('train', 'corpus.txt', '--dataset', 'names'),
      /give either a FILE or --dataset, not both/,
    );
    assertOneLineError(
      recur('sample', 'run1', '--length', '-5'),
      /sample: --length needs a value|sample: --length must be/,
    );
    assertOneLineError(
      recur('sample', 'run1', '--temperature', 'hot'),
      /sample: --temperature must be a number in \[0, 100\], got 'hot'/,
    );
    assertOneLineError(
      recur('sample', 'run1', '--prime', 'Ω'),
      /sample: --prime: character U\+03A9 "Ω" at position 0 is not in the vocabulary/,
    );
    assertOneLineError(
      recur('train', 'corpus.txt', '--out', 'run1'),
      /train: run1 already holds a run .*--resume run1.*--overwrite/,
    );
    assertOneLineError(
      recur('train', '--resume', 'run1', '--hidden-size', '99'),
      /train: --hidden-size 99 differs from the run being resumed \(24\)/,
    );
  });

  it('rejects missing and corrupt run folders', () => {
    assertOneLineError(recur('info', 'nowhere'), /info: nowhere: no such run folder/);
    mkdirSync(join(dir, 'emptyrun'), { recursive: true });
    assertOneLineError(recur('sample', 'emptyrun'), /sample: emptyrun: no checkpoint in this folder/);
    assertOneLineError(
      recur('train', '--resume', 'emptyrun'),
      /train: emptyrun: no checkpoint to resume from/,
    );
    // Corrupt the weights of a copy of run1: the checksum catches it.
    const r = recur('train', 'corpus.txt', ...SMALL, '--max-steps', '2', '--out', 'corrupt');
    assert.equal(r.code, 0, r.stderr);
    const best = join(dir, 'corrupt', 'best');
    const ck = readdirSync(best).find((f) => f.startsWith('ckpt-'));
    const file = join(best, ck as string, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);
    assertOneLineError(
      recur('eval', 'corrupt'),
      /eval: .*model\.safetensors: the SHA-256 does not match checkpoint\.json \(the file is corrupt\)/,
    );
    writeFileSync(join(dir, 'corrupt', 'checkpoints', 'latest.json'), '{"format": "nope"');
    assertOneLineError(recur('info', 'corrupt'), /info: .*latest\.json: cannot read the pointer file/);
  });

  it('prints the stack trace with --verbose', () => {
    const r = recur('train', 'missing.txt', '--verbose');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\n\s+at /);
  });
});

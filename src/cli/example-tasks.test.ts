// The task examples' pure helpers, the run folder they write, and `recur classify` on it (tiny
// models built here; the examples themselves train for minutes and are run by hand).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CharVocab } from '../data/char-vocab.js';
import { insertSpaces, removeSpaces } from '../data/space-tags.js';
import { WordVocab } from '../data/word-vocab.js';
import { SequenceClassifier } from '../models/classifier.js';
import { SequenceTagger } from '../models/tagger.js';
import { Adam } from '../train/optim/adam.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { runClassify } from './classify.js';
import { genderedNames, lastLetter, MajorityByKey, nameIds, runExampleNames } from './example-names.js';
import { runExampleSpaces } from './example-spaces.js';
import { runExampleSpam } from './example-spam.js';
import { prepareRunDir, saveModel, trainWithValidation } from './example-tasks.js';
import { Progress } from './progress.js';
import { emailBag, emailIds, headTail, wordDropout } from './spam-data.js';

const root = mkdtempSync(join(tmpdir(), 'recur-tasks-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = console.log;
  console.log = (s: string) => out.push(String(s));
  try {
    return { code: await fn(), out };
  } finally {
    console.log = log;
  }
}

describe('trainWithValidation', () => {
  for (const emaDecay of [0, 0.9]) {
    it(`keeps the weights of the best validation epoch${emaDecay ? ' (of the weight average)' : ''}`, async () => {
      const model = new SequenceClassifier(
        { vocabSize: 5, numClasses: 2, embedSize: 3, hiddenSize: 3 },
        { rng: new Rng(1) },
      );
      const seen: Float32Array[][] = [];
      const scores = [0.5, 0.9, 0.7];
      const batch = { ids: Int32Array.from([1, 2, 3, 4]), labels: [0, 1] };
      const r = await trainWithValidation({
        label: 'test',
        model,
        optimizer: new Adam(model.parameters(), { lr: 0.05 }),
        trainBatches: () => [batch, batch],
        stepsPerEpoch: 2,
        lossFn: (m, b) => m.loss(m.forward(b.ids, 2, 2), b.labels),
        validate: (m) => {
          seen.push(m.parameters().map((p) => (p.data as Float32Array).slice()));
          return { acc: scores[seen.length - 1] };
        },
        monitor: 'acc',
        epochs: 3,
        maxMinutes: 5,
        rng: new Rng(2),
        progress: new Progress({ write: () => true }, { tty: false }),
        describe: (m) => `acc ${m.acc}`,
        emaDecay,
      });
      assert.equal(r.bestEpoch, 2);
      assert.deepEqual(
        r.history.map((h) => h.metrics.acc),
        scores,
      );
      const now = model.parameters().map((p) => [...(p.data as Float32Array)]);
      assert.deepEqual(
        now,
        seen[1].map((d) => [...d]),
      );
      assert.notDeepEqual(
        seen[1].map((d) => [...d]),
        seen[2].map((d) => [...d]),
      );
    });
  }
});

describe('space restoration data', () => {
  it('removes white space and tags the character before each run of it', () => {
    const { chars, tags } = removeSpaces('  Call me\nIshmael.\n\nSome  years ');
    assert.equal(chars, 'CallmeIshmael.Someyears');
    assert.deepEqual(
      [...tags].map((t, i) => (t ? i : -1)).filter((i) => i >= 0),
      [3, 5, 13, 17, 22],
    );
    assert.equal(insertSpaces(chars, tags), 'Call me Ishmael. Some years');
    assert.equal(insertSpaces('a😀b', [1, 1, 0]), 'a 😀 b', 'code points, not UTF-16 units');
    assert.throws(() => insertSpaces('ab', [1]), /2 characters but 1 tags/);
  });
});

describe('names baseline', () => {
  it('drops names in both lists and predicts the majority class of the last letter', () => {
    const g = genderedNames(['anna', 'maria', 'kim', 'eve'], ['kim', 'john', 'paul', 'luca']);
    assert.deepEqual(g.names, ['anna', 'eve', 'john', 'luca', 'maria', 'paul']);
    assert.deepEqual([...g.labels], [0, 0, 1, 1, 0, 1]);
    assert.equal(g.dropped, 1);
    const b = new MajorityByKey(g.names.map(lastLetter), g.labels, 2);
    assert.equal(b.predict('a'), 0, "'a': anna, maria female, luca male");
    assert.equal(b.predict('l'), 1);
    assert.equal(b.predict('e'), 0);
    assert.equal(b.predict('z'), b.fallback, 'an unseen letter gets the overall majority');
    assert.equal(b.fallback, 0, 'a tie overall goes to class 0');
    assert.equal(lastLetter('zoë'), 'ë');
  });
});

describe('spam input', () => {
  it('reads subject, <eos>, body; the bag leaves out the marks', () => {
    const vocab = WordVocab.build(['cheap meds now', 'hello bob'], { lowercase: true });
    const ids = emailIds(vocab, 'Cheap MEDS', 'hello unknownword');
    assert.deepEqual(vocab.decodeTokens(ids), ['cheap', 'meds', '<eos>', 'hello', '<unk>']);
    assert.equal(emailIds(vocab, '', '').length, 1, 'never empty');
    assert.deepEqual(
      [...emailBag(vocab, ids).ids],
      [...new Set([vocab.unkId, vocab.idOf('cheap'), vocab.idOf('meds'), vocab.idOf('hello')])].sort(
        (a, b) => a - b,
      ),
    );
  });
});

describe('spam truncation and word dropout', () => {
  it('keeps the head and the tail of a long message around a separator', () => {
    const ids = Int32Array.from({ length: 10 }, (_, i) => 10 + i);
    assert.deepEqual([...headTail(ids, 6, 2, 2)], [10, 11, 12, 2, 18, 19]);
    assert.deepEqual([...headTail(ids, 4, 0, 2)], [10, 11, 12, 13]);
    assert.equal(headTail(ids, 10, 3, 2), ids, 'a message that fits is read whole');
  });

  it('replaces about p of the ids by <unk>, reproducibly, and nothing with p = 0', () => {
    const ids = new Int32Array(10000).fill(7);
    const a = wordDropout(ids, 0.1, 0, new Rng(1));
    const b = wordDropout(ids, 0.1, 0, new Rng(1));
    const dropped = a.filter((v) => v === 0).length;
    assert.ok(dropped > 900 && dropped < 1100, `${dropped}`);
    assert.deepEqual(a, b);
    assert.equal(wordDropout(ids, 0, 0, new Rng(1)), ids);
    assert.equal(ids[0], 7, 'the input is not changed');
  });
});

describe('recur classify', () => {
  const charVocab = CharVocab.build('abcdefghijklmnopqrstuvwxyz', { unk: '\uFFFD' });
  const namesRun = join(root, 'names');
  const clf = new SequenceClassifier(
    { vocabSize: charVocab.size, numClasses: 2, embedSize: 4, hiddenSize: 4, pooling: 'last' },
    { rng: new Rng(1) },
  );
  prepareRunDir('test', namesRun, false);
  saveModel(
    namesRun,
    clf,
    {
      task: 'names-gender',
      classes: ['female', 'male'],
      model: clf.toJSON(),
      input: { kind: 'chars', vocab: charVocab.toJSON(), lowercase: true },
    },
    1,
  );

  it('prints the most probable class and its probability (all classes with --all)', async () => {
    const p = clf.predictProba([nameIds(charVocab, 'Alice')]);
    const best = p[1] > p[0] ? 1 : 0;
    const r = await capture(() => runClassify([namesRun, 'Alice']));
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [`${['female', 'male'][best]} ${p[best].toFixed(4)}`]);
    const all = await capture(() => runClassify([namesRun, 'ALICE', '--all']));
    assert.equal(all.out.length, 2);
    assert.equal(all.out[0], r.out[0], 'lower-cased as in training');
  });

  it('classifies a raw e-mail of a spam run and restores spaces with a tagger run', async () => {
    const words = WordVocab.build(['win money now', 'meeting notes'], { lowercase: true });
    const spamRun = join(root, 'spam');
    const m = new SequenceClassifier(
      { vocabSize: words.size, numClasses: 2, embedSize: 4, hiddenSize: 4, paddingIdx: words.padId },
      { rng: new Rng(2) },
    );
    prepareRunDir('test', spamRun, false);
    saveModel(
      spamRun,
      m,
      {
        task: 'spam',
        classes: ['ham', 'spam'],
        model: m.toJSON(),
        input: { kind: 'email-words', vocab: words.toJSON(), maxLength: 8 },
      },
      1,
    );
    const eml = join(root, 'msg.eml');
    writeFileSync(eml, 'From: a@b\nSubject: Win money\n\nnow now now');
    const p = m.predictProba([emailIds(words, 'Win money', 'now now now')]);
    const r = await capture(() => runClassify([spamRun, '--email', eml]));
    assert.match(r.out[0], new RegExp(`^(ham|spam) ${Math.max(p[0], p[1]).toFixed(4)}$`));
    const r2 = await capture(() => runClassify([spamRun, '--subject', 'Win money', 'now now now']));
    assert.deepEqual(r2.out, r.out);

    const tagRun = join(root, 'spaces');
    const t = new SequenceTagger(
      { vocabSize: charVocab.size, numTags: 2, embedSize: 4, hiddenSize: 4 },
      { rng: new Rng(3) },
    );
    prepareRunDir('test', tagRun, false);
    saveModel(
      tagRun,
      t,
      {
        task: 'space-restore',
        classes: ['inside', 'boundary'],
        model: t.toJSON(),
        input: { kind: 'chars-no-space', vocab: charVocab.toJSON(), window: 4, context: 2 },
      },
      1,
    );
    const out = await capture(() => runClassify([tagRun, 'call me ishmael']));
    assert.equal(out.out[0].replace(/ /g, ''), 'callmeishmael');
  });

  it('fails with one clear line on bad use', async () => {
    await assert.rejects(runClassify([]), /classify: missing RUN_DIR/);
    await assert.rejects(runClassify([namesRun]), /classify: missing TEXT to classify/);
    await assert.rejects(runClassify([join(root, 'nope'), 'x']), /no such run folder/);
    await assert.rejects(
      runClassify([root, 'x']),
      /no trained classifier here \(expected model\/latest\.json/,
    );
    await assert.rejects(
      runClassify([namesRun, 'x', '--email', 'f']),
      /either TEXT or --email FILE, not both/,
    );
    await assert.rejects(runClassify([namesRun, '--email', 'f']), /--email applies to spam runs/);
    await assert.rejects(runClassify([namesRun, '   ']), /TEXT is empty/);
    await assert.rejects(runClassify([namesRun, 'a', 'b']), /unexpected argument 'b'/);
    await assert.rejects(runClassify([namesRun, 'a', '--top', '3']), /unknown flag --top/);
  });
});

describe('recur example spam (the real data, a tiny model, one epoch)', () => {
  it('trains with --sparse-embedding: SparseAdam on the embedding rows used, Adam on the rest', async () => {
    const out = join(root, 'spam-sparse');
    const flags = ['--epochs', '1', '--hidden-size', '8', '--embed-size', '8', '--max-length', '32'];
    const r = await capture(() =>
      runExampleSpam([
        ...flags,
        '--tail-length',
        '8',
        '--baseline-epochs',
        '1',
        '--sparse-embedding',
        '--out',
        out,
      ]),
    );
    assert.equal(r.code, 0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(res.settings.sparseEmbedding, true);
    // 67% of the test messages are ham: one epoch of the tiny model must already do better.
    assert.ok(res.model.accuracy > 0.75, `accuracy ${res.model.accuracy}`);
  });
});

describe('recur example (argument errors; no training)', () => {
  it('rejects bad flags and an --out that already holds a run', async () => {
    await assert.rejects(runExampleSpam(['--epochs', '0']), ConfigError);
    await assert.rejects(
      runExampleSpam(['--pooling', 'sum']),
      /--pooling must be one of mean, max, last, got 'sum'/,
    );
    await assert.rejects(runExampleNames(['extra']), /unexpected argument 'extra'/);
    await assert.rejects(runExampleSpaces(['--models', 'both', '--hidden-size', '-3']), /--hidden-size/);
    const taken = join(root, 'taken');
    mkdirSync(join(taken, 'model'), { recursive: true });
    for (const run of [runExampleSpam, runExampleNames, runExampleSpaces]) {
      await assert.rejects(
        run(['--out', taken]),
        /already holds a run \(model\); pick another --out or pass --overwrite/,
      );
    }
    const help = await capture(() => runExampleSpaces(['--help']));
    assert.equal(help.code, 0);
    assert.match(help.out[0], /usage: recur example space-restore/);
  });
});

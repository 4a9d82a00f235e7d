/**
 * `recur attention-plot RUN_DIR INPUT... [--out FILE]`: a self-contained HTML page with a heatmap
 * of the attention weights for each input: one row per output token (the end token included), one
 * column per source position, darker = more weight (each row sums to 1).
 *
 * - G2P runs (recur g2p-train): INPUTs are words; columns are letters, rows phonemes.
 * - Caption runs with attention (recur example caption --attention ...): INPUTs are digit strings
 *   such as 372; the strip is composed from test images (never seen in training) and drawn above
 *   its heatmap, each column of cells under the image columns the encoder read at that step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { loadCheckpoint } from '../io/checkpoint-load.js';
import { beamSearch } from '../models/beam-search.js';
import { captionOf, DIGIT_SIZE, splitDigitImages, stripOf } from '../models/caption.js';
import { tidy } from '../tensor/scope.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { type FlagSpec, helpText, parseFlags } from './args.js';
import { CAPTION_RUN_KIND, captionBatch, loadCaptionRun, loadMnist } from './caption-run.js';
import { G2P_RUN_KIND, loadG2PRun, transcribe } from './g2p.js';
import { type Heatmap, heatmapPage, pngDataUri } from './html-plots.js';

const CMD = 'attention-plot';

// biome-ignore format: the flag table reads best one flag per line
const FLAGS: FlagSpec[] = [
  { name: 'out', type: 'string', metavar: 'FILE', default: 'attention.html', help: 'the HTML file to write' },
  { name: 'beam', type: 'int', min: 1, max: 100, default: 1, help: 'beam width of the decoding whose attention is shown (1: greedy)' },
  { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, help: 'caption runs: seed of the choice of test images' },
];

const HELP = helpText(
  'recur attention-plot RUN_DIR INPUT... [--out FILE]',
  `Writes an HTML page with a heatmap of the attention weights for every INPUT: words for a G2P run
(recur g2p-train), digit strings such as 372 for a caption run trained with --attention (the strip
is composed from test images and drawn above its heatmap).

examples:
  recur attention-plot runs/g2p PHONEME ATTENTION Zweig --out g2p-attention.html
  recur attention-plot runs/caption-attn 372 90851 --out caption-attention.html`,
  FLAGS,
);

export async function runAttentionPlot(argv: string[]): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS, { max: Number.POSITIVE_INFINITY, names: 'RUN_DIR INPUT...' });
  if (f.values.help) {
    console.log(HELP);
    return 0;
  }
  const [dir, ...inputs] = f.positionals;
  if (!dir || inputs.length === 0)
    throw new ConfigError(`${CMD}: give a run folder and at least one input (see recur ${CMD} --help)`);
  const kind = (loadCheckpoint(join(dir, 'best')).config as { kind?: string }).kind;
  const beam = f.values.beam as number;
  const maps: { heatmap: Heatmap; cellW: number; note?: string }[] = [];
  let title: string;
  if (kind === G2P_RUN_KIND) {
    const run = loadG2PRun(dir, CMD);
    if (run.config.model.attention === 'none')
      throw new ConfigError(`${CMD}: the run in ${dir} has no attention`);
    title = `G2P attention (${run.config.model.attention})`;
    const res = transcribe(run.model, run.srcVocab, run.tgtVocab, inputs, { beam });
    inputs.forEach((w, i) => {
      const { phones, hyp } = res[i][0];
      const letters = [...w.toUpperCase()];
      const rows = hyp.finished ? [...phones, '</s>'] : phones;
      maps.push({
        heatmap: {
          title: `${w} → ${phones.join(' ')}`,
          rows,
          cols: letters,
          weights: (hyp.attention ?? []).map((r) => r.slice(0, letters.length)),
        },
        cellW: 26,
        note: `log p = ${hyp.logProb.toFixed(3)}`,
      });
    });
  } else if (kind === CAPTION_RUN_KIND) {
    const run = loadCaptionRun(dir, CMD);
    if (run.config.model.attention === 'none') {
      throw new ConfigError(
        `${CMD}: the caption run in ${dir} has no attention (its image vector is only the decoder's initial state); train one with --attention general`,
      );
    }
    title = `Caption attention over image columns (${run.config.model.attention})`;
    const data = loadMnist(CMD);
    const split = splitDigitImages(data.labels, run.config.data.testFraction, run.config.data.splitSeed);
    const rng = new Rng(f.values.seed as number);
    const cps = run.config.columnsPerStep;
    const scale = 3;
    for (const s of inputs) {
      if (!/^[0-9]{1,8}$/.test(s))
        throw new ConfigError(`${CMD}: caption inputs are digit strings such as 372, got '${s}'`);
      const strip = stripOf(data, split.test, [...s].map(Number), rng);
      const b = captionBatch([strip], run.vocab, cps);
      // In a tidy() scope: the encoder's tensors die with it (the hypothesis is numbers).
      const hyp = tidy(() =>
        noGrad(
          () =>
            beamSearch(run.model.stepDecoder(b.source), {
              bosId: run.vocab.bosId,
              eosId: run.vocab.eosId,
              maxLength: 10,
              width: beam,
            })[0][0],
        ),
      );
      const words = run.vocab.decodeTokens(hyp.tokens);
      const steps = strip.width / cps;
      maps.push({
        heatmap: {
          title: `${captionOf(strip.digits)} → ${words.join(' ')}`,
          rows: hyp.finished ? [...words, '</s>'] : words,
          cols: Array.from({ length: steps }, () => ''),
          weights: hyp.attention ?? [],
          image: {
            uri: pngDataUri(strip.pixels, strip.width, DIGIT_SIZE),
            width: strip.width * scale,
            height: DIGIT_SIZE * scale,
          },
        },
        cellW: cps * scale,
        note: `test images ${strip.sources.join(', ')}; each cell column covers ${cps} image column(s)`,
      });
    }
  } else {
    throw new CheckpointError(
      `${CMD}: ${dir} holds a '${String(kind)}' run; attention plots need a G2P or caption run`,
    );
  }
  const out = f.values.out as string;
  writeFileSync(out, heatmapPage(title, maps));
  console.log(`wrote ${out} (${maps.length} heatmap${maps.length === 1 ? '' : 's'})`);
  return 0;
}

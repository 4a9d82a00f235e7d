/**
 * `recur check-golden`: runs reference cases (../shared/golden, format in its README) through the
 * public layer API and compares with the stored PyTorch values. Everything is computed from the
 * case's inputs and parameters; expected values are used only for comparison.
 *
 * An element passes when |got - want| <= tol * (1 + |want|), tol = 1e-9 in float64 and 1e-5 in
 * float32. Reported per compared tensor: maxAbs = max |got - want| and
 * maxRel = max |got - want| / (1 + |want|). Case types without a checker are `skip`, never `pass`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type BackendName, getBackend, setBackend } from '../kernels/registry.js';
import { tidy } from '../tensor/scope.js';
import { checkRnnModule, checkTbptt } from './golden-rnn.js';
import type { CaseResult, GoldenOptions } from './golden-types.js';

export type { CaseResult, GoldenOptions };

/** Checks one parsed case; `file` is the path it was read from. The backend is already selected. */
export type CaseChecker = (json: unknown, opts: GoldenOptions, file: string) => CaseResult;

const checkers = new Map<string, CaseChecker>();

/** Registers the checker of a `case_type` (e.g. `onnx_node` from golden-onnx.ts, the training cases). */
export function registerCaseType(caseType: string, fn: CaseChecker): void {
  checkers.set(caseType, fn);
}

// biome-ignore lint/suspicious/noExplicitAny: case files are checked field by field as they are read
type Json = any;

registerCaseType('rnn_module', checkRnnModule);
registerCaseType('tbptt', checkTbptt);

// Checkers that live in other modules, loaded on first use (a failure to load is reported on the
// skipped cases instead of breaking the whole run).
const lazyCheckers: Record<string, () => Promise<CaseChecker>> = {
  onnx_node: async () => (await import('./golden-onnx.js')).checkOnnxCase,
  train_char_lm: async () => (await import('./golden-train.js')).checkTrainingCase,
  train_classifier: async () => (await import('./golden-train.js')).checkTrainingCase,
  train_regression: async () => (await import('./golden-train.js')).checkTrainingCase,
};

async function checkerFor(caseType: unknown): Promise<CaseChecker | string> {
  if (typeof caseType !== 'string') return `case_type must be a string, got ${JSON.stringify(caseType)}`;
  const known = checkers.get(caseType);
  if (known) return known;
  const lazy = lazyCheckers[caseType];
  if (!lazy) return `no checker for case_type ${JSON.stringify(caseType)}`;
  try {
    const fn = await lazy();
    registerCaseType(caseType, fn);
    return fn;
  } catch (err) {
    return `the checker for case_type ${caseType} failed to load: ${message(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Runner

/** Checks every file with the given backend and dtype (the previous backend is restored after). */
export async function checkGoldenFiles(files: string[], opts: GoldenOptions): Promise<CaseResult[]> {
  const previous = getBackend();
  setBackend(opts.backend);
  const results: CaseResult[] = [];
  try {
    for (const file of files) {
      const fallback = basename(file).replace(/\.json$/, '');
      let json: Json;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        results.push({
          name: fallback,
          file,
          status: 'fail',
          errors: {},
          reason: `cannot read the case: ${message(err)}`,
        });
        continue;
      }
      const name = typeof json?.name === 'string' ? json.name : fallback;
      const checker = await checkerFor(json?.case_type);
      if (typeof checker === 'string') {
        results.push({ name, file, status: 'skip', errors: {}, reason: checker });
        continue;
      }
      try {
        // Each case runs in a tidy() scope, so the reference values also check the arena path.
        const r = tidy(() => checker(json, opts, file));
        results.push({ ...r, name: r.name || name, file });
      } catch (err) {
        results.push({ name, file, status: 'fail', errors: {}, reason: `error: ${message(err)}` });
      }
    }
  } finally {
    setBackend(previous);
  }
  return results;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const USAGE = `usage: recur check-golden [--backend ts|wasm] [--dtype float64|float32] FILES...

Checks golden reference cases (JSON files, or directories of them) against this library.
Prints one JSON line per case: {"name","file","status","errors":{tensor:{maxAbs,maxRel}}}.

  --backend ts|wasm          kernel backend (default: the one in use)
  --dtype float64|float32    compute dtype (default float64)
  -h, --help                 show this help

Exit status: 0 when no case fails, 1 when any case fails, 2 for a usage error.`;

/** Expands directories to their *.json files (without index.json), sorted. */
function expandFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // A missing path is reported by the reader as a failed case.
    }
    if (!isDir) out.push(p);
    else {
      for (const f of readdirSync(p).sort())
        if (f.endsWith('.json') && f !== 'index.json') out.push(join(p, f));
    }
  }
  return out;
}

/** `recur check-golden ARGS`: returns the exit code. */
export async function runCheckGolden(argv: string[]): Promise<number> {
  let backend: string | undefined;
  let dtype = 'float64';
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (flag === '-h' || flag === '--help') {
      console.log(USAGE);
      return 0;
    }
    if (flag === '--backend' || flag === '--dtype') {
      const v = inline ?? argv[++i];
      if (v === undefined) {
        console.error(`check-golden: ${flag} needs a value\n\n${USAGE}`);
        return 2;
      }
      if (flag === '--backend') backend = v;
      else dtype = v;
    } else if (a.startsWith('-')) {
      console.error(`check-golden: unknown option '${a}'\n\n${USAGE}`);
      return 2;
    } else paths.push(a);
  }
  if (backend !== undefined && backend !== 'ts' && backend !== 'wasm') {
    console.error(`check-golden: --backend must be ts or wasm, got '${backend}'`);
    return 2;
  }
  if (dtype !== 'float64' && dtype !== 'float32') {
    console.error(`check-golden: --dtype must be float64 or float32, got '${dtype}'`);
    return 2;
  }
  if (paths.length === 0) {
    console.error(`check-golden: no case files given\n\n${USAGE}`);
    return 2;
  }
  const opts: GoldenOptions = { backend: (backend ?? getBackend()) as BackendName, dtype };
  const results = await checkGoldenFiles(expandFiles(paths), opts);
  const count = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) {
    count[r.status]++;
    console.log(JSON.stringify(r));
  }
  console.error(
    `check-golden: ${count.pass} passed, ${count.fail} failed, ${count.skip} skipped (backend ${opts.backend}, ${opts.dtype})`,
  );
  return count.fail > 0 ? 1 : 0;
}

// The import arrows of src/ point downward only (DESIGN.md §1). Every import, export-from,
// dynamic import and require of every .ts file under src/ is read with TypeScript's own
// pre-processor (so comments, strings and multi-line import lists cannot fool it) and checked
// against the layer table below; a failure lists file:line, the import, and the rule it breaks.
// Unit tests (*.test.ts) may use Node built-ins and any library module, but not cli/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The library stack, lowest first: a layer may import the layers before it. */
const CHAIN = ['util', 'kernels', 'tensor', 'autograd', 'ops', 'nn', 'cells', 'layers', 'models'];
/** Beside models: they may import util .. layers, not models and not each other. */
const BESIDE = ['train', 'data', 'io'];
/** What tensor/ may take from kernels/. */
const TENSOR_KERNELS = ['kernels/types.ts', 'kernels/registry.ts'];
/** The only places that may use Node built-ins, so everything else runs in a browser. */
const NODE_OK = ['io/', 'cli/', 'kernels/wasm/'];

const NODE_BUILTINS = new Set(builtinModules);

function layerOf(path: string): string {
  const i = path.indexOf('/');
  if (i >= 0) return path.slice(0, i);
  // The two entry points: index.ts (browser-safe) and node.ts (index plus file I/O).
  return path === 'index.ts' || path === 'node.ts' ? 'index' : `(root file ${path})`;
}

function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]);
}

/** Resolves a relative specifier of `from` (both relative to src/, '/'-separated) to a .ts path. */
function resolveSpec(from: string, spec: string): string {
  const p = posix.normalize(posix.join(posix.dirname(from), spec));
  return p.endsWith('.js') ? `${p.slice(0, -3)}.ts` : p;
}

/**
 * The rule that `from` (a path under src/) breaks by importing `spec`, or null when allowed.
 * `deps` are the package's runtime dependencies (bare imports of anything else are refused).
 */
export function violation(from: string, spec: string, deps: ReadonlySet<string> = new Set()): string | null {
  const isTest = from.endsWith('.test.ts');
  if (isNodeBuiltin(spec)) {
    if (isTest || NODE_OK.some((d) => from.startsWith(d))) return null;
    return `Node-only module '${spec}' outside ${NODE_OK.map((d) => `src/${d}`).join(', ')} (the rest must run in a browser)`;
  }
  if (!spec.startsWith('.')) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (isTest || deps.has(pkg)) return null;
    return `package '${pkg}' is not a runtime dependency in package.json`;
  }
  const to = resolveSpec(from, spec);
  if (to.startsWith('../') || to === '..') return `imports ${to}, outside src/`;
  const fl = layerOf(from);
  const tl = layerOf(to);
  if (tl === 'cli' && fl !== 'cli') return 'cli/ is a leaf: nothing imports it';
  if (to.endsWith('.test.ts')) return 'a test file is not a module: move the shared code out of it';
  // A unit test sits beside its code but is not part of the library's module graph, and testing
  // a layer takes the layers above it (a tape test builds graphs with ops).
  if (isTest) return null;
  if (tl === 'index' && fl !== 'cli' && fl !== 'index')
    return 'src/index.ts is the public surface: import the module that defines the name';
  if (fl === tl) return null;
  if (from === 'index.ts' && (tl === 'io' || tl === 'cli')) {
    return 'src/index.ts must stay browser-safe: export file I/O from src/node.ts';
  }
  if (fl === 'cli' || fl === 'index') return null;
  const known = (l: string) => CHAIN.includes(l) || BESIDE.includes(l);
  if (!known(fl)) return `unknown layer '${fl}': add it to the layer table in test/layering.test.ts`;
  if (!known(tl)) return `imports unknown layer '${tl}': add it to the layer table in test/layering.test.ts`;
  if (fl === 'kernels')
    return tl === 'util' ? null : `kernels/ may import only util/ (and kernels/), not ${tl}/`;
  if (fl === 'tensor') {
    if (tl === 'util' || TENSOR_KERNELS.includes(to)) return null;
    return `tensor/ may import only util/ and ${TENSOR_KERNELS.join(', ')}, not ${to}`;
  }
  if (BESIDE.includes(fl)) {
    if (CHAIN.includes(tl) && tl !== 'models') return null;
    return `${fl}/ sits beside models/: it may import util/ .. layers/ only, not ${tl}/`;
  }
  if (BESIDE.includes(tl))
    return `${fl}/ may not import ${tl}/ (train, data, io sit above the library stack)`;
  if (CHAIN.indexOf(tl) < CHAIN.indexOf(fl)) return null;
  return `upward import: ${fl}/ may import only ${CHAIN.slice(0, CHAIN.indexOf(fl)).join(', ')} (order ${CHAIN.join(' -> ')})`;
}

function listTs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** [1-based line, specifier] of every import-like reference in a TypeScript source. */
export function importsOf(text: string): [number, string][] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => [text.slice(0, f.pos).split('\n').length, f.fileName]);
}

describe('layering of src/', () => {
  it('every import points down the layer order (DESIGN.md §1)', () => {
    const root = new URL('../../', import.meta.url);
    const srcDir = fileURLToPath(new URL('src/', root));
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', root)), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const deps = new Set(Object.keys(pkg.dependencies ?? {}));
    const files = listTs(srcDir);
    assert.ok(files.length > 10, `expected the sources under ${srcDir}`);
    const problems: string[] = [];
    for (const file of files) {
      const rel = relative(srcDir, file).split(sep).join('/');
      // AssemblyScript sources compile to WebAssembly and never enter the TypeScript module graph.
      if (rel.startsWith('kernels/wasm/assembly/')) continue;
      for (const [line, spec] of importsOf(readFileSync(file, 'utf8'))) {
        const v = violation(rel, spec, deps);
        if (v) problems.push(`src/${rel}:${line}: '${spec}': ${v}`);
      }
    }
    assert.equal(problems.length, 0, `${problems.length} layering violation(s):\n${problems.join('\n')}`);
  });
});

describe('the layering rules themselves', () => {
  it('allow downward, same-layer and beside-models imports', () => {
    assert.equal(violation('ops/loss.ts', '../autograd/record.js'), null);
    assert.equal(violation('ops/loss.ts', './embedding.js'), null);
    assert.equal(violation('nn/linear.ts', '../kernels/registry.js'), null);
    assert.equal(violation('tensor/tensor.ts', '../kernels/types.js'), null);
    assert.equal(violation('train/fit.ts', '../layers/lstm.js'), null);
    assert.equal(violation('cli/main.ts', '../index.js'), null);
    assert.equal(violation('index.ts', './models/lm.js'), null);
    assert.match(violation('index.ts', './io/checkpoint.js') ?? '', /browser-safe/);
    assert.equal(violation('node.ts', './io/checkpoint.js'), null);
    assert.equal(violation('io/safetensors.ts', 'node:fs'), null);
    assert.equal(violation('kernels/wasm/loader.ts', 'node:worker_threads'), null);
    assert.equal(violation('ops/core.test.ts', 'node:assert/strict'), null);
    assert.equal(violation('autograd/autograd.test.ts', '../ops/elementwise.js'), null);
  });
  it('refuse upward, sideways and leaf-breaking imports, naming the rule', () => {
    assert.match(violation('ops/x.ts', '../nn/module.js') ?? '', /upward import: ops\/ may import only/);
    assert.match(
      violation('kernels/ts/gemm.ts', '../../tensor/tensor.js') ?? '',
      /kernels\/ may import only util/,
    );
    assert.match(violation('tensor/t.ts', '../kernels/ts/gemm.js') ?? '', /tensor\/ may import only/);
    assert.match(violation('train/fit.ts', '../models/lm.js') ?? '', /beside models/);
    assert.match(violation('train/fit.ts', '../data/batch.js') ?? '', /beside models/);
    assert.match(violation('models/lm.ts', '../data/vocab.js') ?? '', /may not import data/);
    assert.match(violation('index.ts', './cli/main.js') ?? '', /cli\/ is a leaf/);
    assert.match(violation('ops/x.ts', '../index.js') ?? '', /public surface/);
    assert.match(violation('data/text.ts', 'node:fs') ?? '', /Node-only module 'node:fs'/);
    assert.match(violation('nn/x.ts', 'fs') ?? '', /Node-only/);
    assert.match(violation('util/x.ts', '../../scripts/a.js') ?? '', /outside src/);
    assert.match(violation('ops/x.ts', 'left-pad') ?? '', /not a runtime dependency/);
    assert.match(violation('misc/x.ts', '../util/rng.js') ?? '', /unknown layer 'misc'/);
    assert.match(violation('ops/x.ts', './core.test.js') ?? '', /test file is not a module/);
    assert.match(violation('ops/x.test.ts', '../cli/main.js') ?? '', /cli\/ is a leaf/);
  });
  it('finds multi-line, type-only, re-export, side-effect and dynamic imports, not comments or strings', () => {
    const text = [
      "// import { a } from '../nn/a.js';",
      "import type { B } from './b.js';",
      'import {',
      '  c,',
      "} from './c.js';",
      "export * from './d.js';",
      "import './e.js';",
      'const s = "import { f } from \'./f.js\'";',
      "const g = () => import('./g.js');",
    ].join('\n');
    assert.deepEqual(importsOf(text), [
      [2, './b.js'],
      [5, './c.js'],
      [6, './d.js'],
      [7, './e.js'],
      [9, './g.js'],
    ]);
  });
});

// Compiles the AssemblyScript kernels (src/kernels/wasm/assembly) into two modules:
//   build/wasm/recur-relaxed.wasm  relaxed-SIMD build (f32x4.relaxed_madd = FMA)
//   build/wasm/recur-simd.wasm     plain SIMD build (mul + add), for engines without relaxed SIMD
// The loader (dist/src/kernels/wasm/loader.js) picks one at run time with WebAssembly.validate.
//
// Flags (see docs/performance.md and DESIGN.md §3):
//   --runtime stub -O3 --noAssert   no GC, no allocator in the module, release optimisation
//   --importMemory --sharedMemory   one shared memory created by the TypeScript side, so typed
//   --maximumMemory 65536           array views never detach on grow (asc requires a maximum
//   --initialMemory 1               for shared memory; 65536 pages = 4 GiB, the wasm32 limit)
//   --enable simd --enable threads  (threads: atomics and the shared-memory flag; the same module is
//                                   instantiated again on that memory in the worker thread of
//                                   src/kernels/wasm/threads.ts, so it must not allocate)
// The compiler is called from node_modules/.bin so the pinned devDependency is used.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'asc.cmd' : 'asc');
const entry = join(root, 'src', 'kernels', 'wasm', 'assembly', 'index.ts');
const outDir = join(root, 'build', 'wasm');

if (!existsSync(asc)) {
  console.error('build-wasm: AssemblyScript compiler not found at node_modules/.bin/asc (run npm install)');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });

const common = [
  '--runtime',
  'stub',
  '-O3',
  '--noAssert',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--enable',
  'simd',
  '--enable',
  'threads',
];

const builds = [
  { name: 'recur-relaxed', extra: ['--enable', 'relaxed-simd'] },
  { name: 'recur-simd', extra: [] },
];

const withText = process.argv.includes('--wat');
for (const b of builds) {
  const out = join(outDir, `${b.name}.wasm`);
  const args = [entry, '-o', out, ...common, ...b.extra];
  if (withText) args.push('-t', join(outDir, `${b.name}.wat`));
  const r = spawnSync(asc, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error(`build-wasm: asc failed for ${b.name}`);
    process.exit(r.status ?? 1);
  }
  console.log(`build-wasm: wrote build/wasm/${b.name}.wasm`);
}

/**
 * Loads peer libraries from bench/peers/node_modules (installed on demand by
 * `npm run bench:peers:install`, never by `npm ci`), through createRequire, so the library and
 * its CI never see them. The peers are loaded without their type declarations: the code that
 * uses them declares the few members it calls.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench/peers/load.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The folder with the peers' package.json and lockfile. */
export const PEERS_DIR = join(ROOT, 'bench', 'peers');

const requirePeer = createRequire(join(PEERS_DIR, 'package.json'));

/** The Node peers the suite knows, by the package the suite checks for. */
export const NODE_PEERS = {
  tfjs: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
  brain: ['brain.js'],
  ort: ['onnxruntime-node'],
} as const;

/** Whether `pkg` resolves from bench/peers. */
export function peerInstalled(pkg: string): boolean {
  try {
    requirePeer.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Loads a peer package (CommonJS require from bench/peers). */
export function loadPeer<T>(pkg: string): T {
  return requirePeer(pkg) as T;
}

/** The installed version of a peer package, read from its package.json. */
export function peerVersion(pkg: string): string {
  try {
    const p = join(PEERS_DIR, 'node_modules', pkg, 'package.json');
    return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The message printed when a peer is missing. */
export function notInstalled(name: string): string {
  return `peer ${name} not installed (run npm run bench:peers:install)`;
}

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const BIN = path.join(ROOT, 'bin', 'evtrail.js');

export function tmpDir(prefix = 'evtrail-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user does (a child process, stdout a pipe). */
export function cli(args: string[], options: SpawnSyncOptions & { input?: string | Buffer } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined },
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  return { code: result.status ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function cliJson<T = any>(args: string[], options: SpawnSyncOptions & { input?: string | Buffer } = {}): T {
  const result = cli([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`evtrail ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** One event line in evtrail's canonical spelling. */
export function event(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'evt-1', stream: 'order-ord-1', rev: 1, type: 'OrderPlaced', ts: '2025-08-26T09:30:00.123456789Z',
    data: { orderId: 'ord-1', qty: 100 }, ...fields,
  };
}

export function ndjson(events: Record<string, unknown>[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

/** mulberry32: a small seeded random source, so a generated case is the same on every run and a failure names its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Write a file of `size` deterministic bytes (different for each `seed`), 1 MiB at a time, and
 * return its `sha256:` digest.
 */
export function writePatternFile(path: string, size: number, seed: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  const block = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'w');
  try {
    for (let at = 0, n = 0; at < size; at += block.length, n++) {
      const seedBlock = createHash('sha512').update(`${seed}:${n}`).digest();
      for (let i = 0; i < block.length; i += 64) seedBlock.copy(block, i);
      const part = block.subarray(0, Math.min(block.length, size - at));
      writeSync(fd, part);
      hash.update(part);
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** `sha256:` of a file read whole (test files only). */
export function digestOf(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/** A folder of files: path → size; returns path → digest. */
export function writeTree(root: string, files: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, size] of Object.entries(files))
    out[path] = writePatternFile(join(root, path), size, path);
  return out;
}

/** The server's `arca_http_received_bytes_total`. */
export async function receivedBytes(server: string): Promise<number> {
  const text = await (await fetch(`${server}/metrics`)).text();
  const m = /^arca_http_received_bytes_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!m?.[1]) throw new Error('no arca_http_received_bytes_total in /metrics');
  return Number(m[1]);
}

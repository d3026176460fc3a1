import { createHash, randomBytes } from 'node:crypto';

const blockSize = 1 << 20;
const base = randomBytes(blockSize);

/** A blob of `size` bytes made of 1 MiB blocks, unique per (seed, block), generated on the fly. */
export interface BlobSpec {
  size: number;
  seed: number;
  digest: string;
}

/**
 * The blocks of a blob. Buffers come from a small pool owned by this generator and are rewritten
 * in place, so generating content costs the client almost nothing; a consumer must be done with a
 * block (written and drained, or hashed) before it asks for the fourth one after it.
 */
export function* blocks(spec: Pick<BlobSpec, 'size' | 'seed'>, from = 0): Generator<Buffer> {
  const pool = Array.from({ length: 4 }, () => Buffer.from(base));
  for (let offset = from, index = from / blockSize; offset < spec.size; offset += blockSize, index++) {
    const buffer = pool[index % pool.length]!;
    buffer.writeUInt32BE(spec.seed >>> 0, 0);
    buffer.writeUInt32BE(index, 4);
    yield buffer.subarray(0, Math.min(blockSize, spec.size - offset));
  }
}

/** Compute a blob's digest before any timed section. */
export function blobSpec(size: number, seed: number): BlobSpec {
  const hash = createHash('sha256');
  for (const b of blocks({ size, seed })) hash.update(b);
  return { size, seed, digest: `sha256:${hash.digest('hex')}` };
}

export const MiB = 1 << 20;

import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1 << 20;

const blockSize = MiB;
/** One random MiB, made once per process; every block of every blob is this buffer with a stamped header. */
const base = randomBytes(blockSize);

/** A blob of `size` bytes made of 1 MiB blocks, unique per (seed, block), generated on the fly. */
export interface BlobSpec {
  size: number;
  seed: number;
  digest: string;
}

/**
 * The blocks of a blob. Buffers come from a small pool owned by this generator and are rewritten
 * in place (seed and block index stamped into the first 8 bytes), so generating content costs the
 * client almost nothing. A consumer must be done with a block (written and drained, or hashed)
 * before it asks for the fourth one after it.
 */
export function* blocks(spec: Pick<BlobSpec, 'size' | 'seed'>): Generator<Buffer> {
  const pool = Array.from({ length: 4 }, () => Buffer.from(base));
  for (let offset = 0, index = 0; offset < spec.size; offset += blockSize, index++) {
    const buffer = pool[index % pool.length]!;
    buffer.writeUInt32BE(spec.seed >>> 0, 0);
    buffer.writeUInt32BE(index, 4);
    yield buffer.subarray(0, Math.min(blockSize, spec.size - offset));
  }
}

/** Describe a blob and compute its digest: done before any timed section. */
export function blobSpec(size: number, seed: number): BlobSpec {
  const hash = createHash('sha256');
  for (const b of blocks({ size, seed })) hash.update(b);
  return { size, seed, digest: `sha256:${hash.digest('hex')}` };
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

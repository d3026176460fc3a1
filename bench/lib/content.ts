import { createHash, randomBytes } from 'node:crypto';

const blockSize = 1 << 20;
const base = randomBytes(blockSize);

/** A blob of `size` bytes made of 1 MiB blocks, unique per (seed, block), generated on the fly. */
export interface BlobSpec {
  size: number;
  seed: number;
  digest: string;
}

export function* blocks(spec: Pick<BlobSpec, 'size' | 'seed'>, from = 0): Generator<Buffer> {
  for (let offset = from, index = from / blockSize; offset < spec.size; offset += blockSize, index++) {
    const block = Buffer.from(base.subarray(0, Math.min(blockSize, spec.size - offset)));
    block.writeUInt32BE(spec.seed >>> 0, 0);
    block.writeUInt32BE(index, 4);
    yield block;
  }
}

/** Compute a blob's digest before any timed section. */
export function blobSpec(size: number, seed: number): BlobSpec {
  const hash = createHash('sha256');
  for (const b of blocks({ size, seed })) hash.update(b);
  return { size, seed, digest: `sha256:${hash.digest('hex')}` };
}

export const MiB = 1 << 20;

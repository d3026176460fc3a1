import { Transform, type TransformCallback } from 'node:stream';
import type { Hash } from 'node:crypto';

/** Passes bytes through unchanged while feeding them to a hash and counting them. */
export class HashTap extends Transform {
  bytes = 0;
  private readonly hash: Hash;

  constructor(hash: Hash) {
    super({ highWaterMark: 64 * 1024 });
    this.hash = hash;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

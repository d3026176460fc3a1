import { Transform, type TransformCallback } from 'node:stream';
import type { Hash } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { assertDigest, newHash } from './digest.js';

/** Bytes held between the reader and the writer: a read of the source while the last chunk is written. */
const BUFFER = 1 << 20;

/**
 * Passes a blob's bytes through while hashing and counting them, and fails the stream before its
 * end (`DIGEST_INVALID`) when they are not `size` bytes of `digest`. A writer that only makes an
 * object visible when its stream ends (a rename after the last write, a multipart upload's
 * completion) therefore never shows wrong bytes: it sees the error instead of the end.
 */
export class DigestCheck extends Transform {
  bytes = 0;
  private readonly hash: Hash;
  private readonly algorithm: string;

  constructor(
    private readonly digest: string,
    private readonly size: number,
  ) {
    super({ highWaterMark: BUFFER });
    const { algorithm } = assertDigest(digest);
    this.algorithm = algorithm;
    this.hash = newHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.size) {
      callback(new AppError('DIGEST_INVALID', `the bytes of ${this.digest} run past its ${this.size}`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (this.bytes !== this.size || actual !== this.digest) {
      callback(
        new AppError(
          'DIGEST_INVALID',
          `the copy of ${this.digest} read ${this.bytes} bytes of digest ${actual}`,
        ),
      );
      return;
    }
    callback();
  }
}

import { createHash, type Hash } from 'node:crypto';
import { AppError } from '../errors/index.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const digestPattern = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parse a digest this registry can verify; null for anything else. */
export function parseDigest(digest: string): ParsedDigest | null {
  const m = digestPattern.exec(digest);
  if (!m) return null;
  const algorithm = m[1] as DigestAlgorithm;
  const hex = m[2]!;
  const length = hexLength[algorithm];
  if (length === undefined || hex.length !== length || !/^[a-f0-9]+$/.test(hex)) return null;
  return { algorithm, hex };
}

export function isDigest(value: string): boolean {
  return digestPattern.test(value);
}

export function assertDigest(digest: string): ParsedDigest {
  const parsed = parseDigest(digest);
  if (!parsed) throw new AppError('DIGEST_INVALID', 'invalid or unsupported digest', { digest });
  return parsed;
}

export function digestOf(data: Buffer, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Storage path of a content-addressed blob. */
export function blobPath(digest: string): string {
  const { algorithm, hex } = assertDigest(digest);
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

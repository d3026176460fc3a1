import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { libtrustKeyId } from './key-id.js';

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  createdAt: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

interface KeyFile {
  kid: string;
  alg: SigningAlgorithm;
  created_at: number;
  jwk: JWK;
}

export interface SigningKeysOptions {
  algorithm: SigningAlgorithm;
  /** A key signs for this long, then a new one takes over. */
  rotationMs: number;
  /** A replaced key still verifies for this long (at least the lifetime of the tokens it signed). */
  retainMs: number;
  now?: () => number;
}

/**
 * The token service's signing keys, one file each in a directory of the data directory (mode 0600).
 * The newest signs; every kept key verifies, so rotation needs no downtime: tokens signed just
 * before a rotation stay valid until they expire. Replicas sharing the directory pick up each
 * other's keys on the first unknown `kid`.
 */
export class SigningKeys {
  private keys = new Map<string, SigningKey>();
  private lastReload = 0;
  private rotating: Promise<SigningKey> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly dir: string,
    private readonly options: SigningKeysOptions,
  ) {
    this.now = options.now ?? Date.now;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.reload();
    const current = this.newest();
    if (!current || current.alg !== options.algorithm) this.rotateNow();
  }

  /** The key that signs now; rotates first when it is due. */
  async current(): Promise<SigningKey> {
    const key = this.newest();
    if (key && key.alg === this.options.algorithm && this.now() - key.createdAt < this.options.rotationMs) {
      return key;
    }
    this.rotating ??= Promise.resolve()
      .then(() => {
        this.reload();
        const fresh = this.newest();
        if (
          fresh &&
          fresh.alg === this.options.algorithm &&
          this.now() - fresh.createdAt < this.options.rotationMs
        )
          return fresh;
        return this.rotateNow();
      })
      .finally(() => {
        this.rotating = undefined;
      });
    return this.rotating;
  }

  /** Make a new signing key now; the previous ones keep verifying until they are retired. */
  rotateNow(): SigningKey {
    const { privateKey } =
      this.options.algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKey = createPublicKey(privateKey);
    const key: SigningKey = {
      kid: libtrustKeyId(publicKey),
      alg: this.options.algorithm,
      createdAt: this.now(),
      privateKey,
      publicKey,
    };
    const file: KeyFile = {
      kid: key.kid,
      alg: key.alg,
      created_at: key.createdAt,
      jwk: privateKey.export({ format: 'jwk' }) as JWK,
    };
    const name = `${key.createdAt}-${key.kid.replace(/:/g, '')}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, JSON.stringify(file), { mode: 0o600 });
    renameSync(tmp, join(this.dir, name));
    this.keys.set(key.kid, key);
    this.retire();
    return key;
  }

  /** The key with this id, re-reading the directory (at most every 5 s) when it is unknown. */
  verificationKey(kid: string): SigningKey | undefined {
    let key = this.keys.get(kid);
    if (!key && this.now() - this.lastReload > 5_000) {
      this.reload();
      key = this.keys.get(kid);
    }
    return key;
  }

  /** Every key that verifies, newest first. */
  all(): SigningKey[] {
    return [...this.keys.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The public keys as a JWKS (for `GET /auth/jwks`, and for a registry that trusts this one). */
  jwks(): { keys: JWK[] } {
    return {
      keys: this.all().map((k) => ({
        ...(k.publicKey.export({ format: 'jwk' }) as JWK),
        kid: k.kid,
        alg: k.alg,
        use: 'sig',
      })),
    };
  }

  private newest(): SigningKey | undefined {
    return this.all()[0];
  }

  private reload(): void {
    this.lastReload = this.now();
    const keys = new Map<string, SigningKey>();
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const file = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as KeyFile;
        const privateKey = createPrivateKey({ key: file.jwk as never, format: 'jwk' });
        keys.set(file.kid, {
          kid: file.kid,
          alg: file.alg,
          createdAt: file.created_at,
          privateKey,
          publicKey: createPublicKey(privateKey),
        });
      } catch {
        // A file being written by another replica, or not ours: skip it.
      }
    }
    this.keys = keys;
  }

  /** Delete keys replaced longer than `retainMs` ago (the files too). */
  private retire(): void {
    const sorted = this.all();
    for (let i = 1; i < sorted.length; i++) {
      const replacedAt = sorted[i - 1]!.createdAt;
      if (this.now() - replacedAt <= this.options.retainMs) continue;
      const old = sorted[i]!;
      this.keys.delete(old.kid);
      rmSync(join(this.dir, `${old.createdAt}-${old.kid.replace(/:/g, '')}.json`), { force: true });
    }
  }
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const ivBytes = 12;
const tagBytes = 16;

/** A key's id: the start of its SHA-256, so the same key always has the same id. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A 32-byte key written as base64 or 64 hex digits. */
function parseKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error(`${where}: expected a 32-byte key (base64 or 64 hex digits)`);
  return key;
}

interface KeyFile {
  current: string;
  keys: Record<string, string>;
}

/**
 * The master keys that seal credentials (AES-256-GCM). The current key seals; every key opens.
 * From the environment (`ARCA_MASTER_KEY`, older ones in `ARCA_MASTER_KEY_PREVIOUS`, comma-separated:
 * the way to share them between replicas), or else from a 0600 key file created on first start.
 * With the file, `rotate()` adds a new current key; the caller re-seals and then `retire()`s the rest.
 */
export class MasterKeys {
  private constructor(
    private current: string,
    private readonly keys: Map<string, Buffer>,
    private readonly file: string | undefined,
  ) {}

  static load(env: Record<string, string | undefined>, file: string): MasterKeys {
    if (env.ARCA_MASTER_KEY) {
      const current = parseKey(env.ARCA_MASTER_KEY, 'ARCA_MASTER_KEY');
      const keys = new Map([[keyId(current), current]]);
      for (const old of (env.ARCA_MASTER_KEY_PREVIOUS ?? '').split(',').filter((s) => s.trim() !== '')) {
        const key = parseKey(old, 'ARCA_MASTER_KEY_PREVIOUS');
        keys.set(keyId(key), key);
      }
      return new MasterKeys(keyId(current), keys, undefined);
    }
    if (!existsSync(file)) {
      const key = randomBytes(32);
      const id = keyId(key);
      writeKeyFile(file, { current: id, keys: { [id]: key.toString('base64') } });
    }
    let parsed: KeyFile;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
    } catch (err) {
      throw new Error(`credentials key file ${file} is unreadable: ${(err as Error).message}`);
    }
    const keys = new Map(Object.entries(parsed.keys).map(([id, k]) => [id, parseKey(k, file)] as const));
    if (!keys.has(parsed.current))
      throw new Error(`credentials key file ${file}: its current key is missing`);
    return new MasterKeys(parsed.current, keys, file);
  }

  get currentId(): string {
    return this.current;
  }

  get rotatable(): boolean {
    return this.file !== undefined;
  }

  seal(plaintext: string, aad: string): { keyId: string; sealed: string } {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.current, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
  }

  open(id: string, sealed: string, aad: string): string {
    const key = this.keys.get(id);
    if (!key) throw new Error(`credential sealed with unknown master key ${id}`);
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, ivBytes));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(raw.length - tagBytes));
    return Buffer.concat([
      decipher.update(raw.subarray(ivBytes, raw.length - tagBytes)),
      decipher.final(),
    ]).toString('utf8');
  }

  /** A new current key (the key file only); older keys still open until `retire()`. */
  rotate(): string {
    if (!this.file) throw new Error('master keys come from ARCA_MASTER_KEY: rotate by setting a new one');
    const key = randomBytes(32);
    this.current = keyId(key);
    this.keys.set(this.current, key);
    this.save();
    return this.current;
  }

  /** Forget every key but the current one (after everything has been re-sealed with it). */
  retire(): void {
    if (!this.file) return;
    for (const id of [...this.keys.keys()]) if (id !== this.current) this.keys.delete(id);
    this.save();
  }

  private save(): void {
    const keys = Object.fromEntries([...this.keys].map(([id, k]) => [id, k.toString('base64')]));
    writeKeyFile(this.file!, { current: this.current, keys });
  }
}

function writeKeyFile(file: string, content: KeyFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

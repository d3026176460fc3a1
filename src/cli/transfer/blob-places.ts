import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transferStateDir } from './push-state.js';

/** Digests remembered per server: enough for many pushes, small enough to rewrite whole. */
const maxEntries = 20_000;

/**
 * Where this machine has seen blobs on a server (digest → repository), so that a push of a file the
 * registry holds under another asset mounts it from there (`POST …/uploads/?mount=&from=`) instead
 * of sending it again, as skopeo's blob-info cache does. A hint only: a mount the server refuses
 * (the blob is gone, the caller cannot read the source) falls back to an upload.
 */
export class BlobPlaces {
  private readonly places: Map<string, string>;

  private constructor(private readonly file: string) {
    this.places = new Map();
    if (!existsSync(file)) return;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      for (const [digest, repository] of Object.entries(stored)) this.places.set(digest, repository);
    } catch {
      // A cache cut short is only lost hints.
    }
  }

  static forServer(server: string): BlobPlaces {
    const id = createHash('sha256').update(server).digest('hex').slice(0, 32);
    return new BlobPlaces(join(transferStateDir(), `blobs-${id}.json`));
  }

  /** Another repository known to hold the blob, if any. */
  elsewhere(digest: string, repository: string): string | undefined {
    const known = this.places.get(digest);
    return known !== undefined && known !== repository ? known : undefined;
  }

  /** Remember that `repository` holds the blob (the newest place wins; the oldest are dropped). */
  seen(digest: string, repository: string): void {
    if (this.places.get(digest) === repository) return;
    this.places.delete(digest);
    this.places.set(digest, repository);
    while (this.places.size > maxEntries) this.places.delete(this.places.keys().next().value as string);
    mkdirSync(transferStateDir(), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.places)), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** Where uploads live, under the root directory: `_uploads/<key>/…`. */
const UPLOADS = '_uploads/';
const OFFSET_DIGITS = 16;

/** What an object under an upload's prefix is. */
export type UploadObject =
  | { kind: 'started' }
  | { kind: 'data' }
  | { kind: 'marker'; uploadId: string; partBase: number }
  | { kind: 'fragment'; offset: number }
  | { kind: 'other' };

/**
 * The bucket's key layout. Blobs and other objects are at `<root>/<path>`; an upload `<key>` has:
 * - `_uploads/<key>/startedat`: written at start (registry:2 writes the same), so an empty upload exists;
 * - `_uploads/<key>/data`: the target of its multipart upload (a completed object only transiently);
 * - `_uploads/<key>/mpu.<first part size>.<upload id, base64url>`: names the live multipart upload
 *   and its part schedule, so no listing of multipart uploads (weaker guarantees on some servers)
 *   is needed to find it;
 * - `_uploads/<key>/tail/<offset, 16 digits>`: fragments of the tail not yet in a part.
 */
export class Keys {
  readonly root: string;

  constructor(rootdirectory: string) {
    const trimmed = rootdirectory.replace(/^\/+|\/+$/g, '');
    this.root = trimmed ? `${trimmed}/` : '';
  }

  object(path: string): string {
    return this.root + path;
  }

  /** The path of an object key, or undefined when it is outside the root. */
  path(key: string): string | undefined {
    return key.startsWith(this.root) ? key.slice(this.root.length) : undefined;
  }

  get uploadsPrefix(): string {
    return this.root + UPLOADS;
  }

  upload(key: string): string {
    return `${this.uploadsPrefix}${key}/`;
  }

  started(key: string): string {
    return `${this.upload(key)}startedat`;
  }

  data(key: string): string {
    return `${this.upload(key)}data`;
  }

  marker(key: string, uploadId: string, partBase: number): string {
    return `${this.upload(key)}mpu.${partBase}.${Buffer.from(uploadId).toString('base64url')}`;
  }

  fragment(key: string, offset: number): string {
    return `${this.upload(key)}tail/${String(offset).padStart(OFFSET_DIGITS, '0')}`;
  }

  /** The upload key an object under `_uploads/` belongs to. */
  uploadOf(objectKey: string): string | undefined {
    if (!objectKey.startsWith(this.uploadsPrefix)) return undefined;
    const rest = objectKey.slice(this.uploadsPrefix.length);
    const slash = rest.indexOf('/');
    return slash > 0 ? rest.slice(0, slash) : undefined;
  }

  /** What an object under `_uploads/<key>/` is. */
  classify(key: string, objectKey: string): UploadObject {
    const name = objectKey.slice(this.upload(key).length);
    if (name === 'startedat') return { kind: 'started' };
    if (name === 'data') return { kind: 'data' };
    const marker = /^mpu\.(\d+)\.([A-Za-z0-9_-]+)$/.exec(name);
    if (marker?.[1] && marker[2]) {
      return {
        kind: 'marker',
        partBase: Number(marker[1]),
        uploadId: Buffer.from(marker[2], 'base64url').toString(),
      };
    }
    const m = /^tail\/(\d{16})$/.exec(name);
    if (m?.[1]) return { kind: 'fragment', offset: Number(m[1]) };
    return { kind: 'other' };
  }
}

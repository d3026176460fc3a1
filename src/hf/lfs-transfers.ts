import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors/index.js';
import { maxPartsPerRequest, type Distribution } from '../oci/index.js';

/** Objects of one batch request at most. */
const maxObjects = 1000;
/** Part URLs one batch answer hands out at most (each object's parts count; bounds the answer's size). */
const maxPartsPerBatch = 20_000;
/** How long a part waits for the parts before it to be stored. */
const partWaitMs = 10 * 60_000;
const emptyOid = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What the batch answers for one object: nothing to send, an error, or where to send the bytes. */
export type LfsPlan =
  | { oid: string; size: number; kind: 'held' }
  | { oid: string; size: number; kind: 'error'; code: number; message: string }
  /** One PUT of the whole object to Arca (an OCI upload session). */
  | { oid: string; size: number; kind: 'whole'; upload: string }
  /** Numbered parts PUT to Arca in any order, stored in order, then a completion. */
  | { oid: string; size: number; kind: 'parts'; upload: string; partSize: number; parts: number }
  /**
   * One PUT straight to the bucket (a presigned URL), then a completion. `session` is an upload
   * session of the repository that binds the staged object to it until then.
   */
  | { oid: string; size: number; kind: 'staged'; upload: string; url: string; session: string }
  /**
   * Numbered parts PUT straight to the bucket (presigned part URLs of one multipart upload), then a
   * completion naming the parts' ETags: the bucket joins them, Arca verifies the whole.
   */
  | {
      oid: string;
      size: number;
      kind: 'staged-parts';
      upload: string;
      session: string;
      partSize: number;
      urls: string[];
    };

/**
 * The Git LFS side of Hub uploads, over the OCI room's one ingest path. An object the repository
 * holds, or that the registry's storage holds already (adopted: deduplication), needs no upload. On
 * a store that presigns, the bytes go straight to the bucket and are verified on completion
 * (`presignedUploads`); otherwise they come to Arca, streamed and hashed once into an upload
 * session (`uploads`). The upload id in the URLs is the capability, as a presigned URL's signature
 * is: it was handed only to a caller allowed to write the repository.
 */
export class LfsTransfers {
  constructor(
    private readonly distribution: Distribution,
    /** Objects larger than this come in parts of this size. */
    readonly partSize: number,
  ) {}

  async plan(repository: string, objects: unknown, openedBy: string | null): Promise<LfsPlan[]> {
    if (!Array.isArray(objects) || objects.length === 0)
      throw new AppError('REQUEST_INVALID', 'objects: a non-empty list of { oid, size }');
    if (objects.length > maxObjects) throw new AppError('REQUEST_INVALID', `objects: at most ${maxObjects}`);
    const out: LfsPlan[] = [];
    let partsLeft = maxPartsPerBatch;
    for (const o of objects as { oid?: unknown; size?: unknown }[]) {
      const oid = typeof o?.oid === 'string' ? o.oid : '';
      const size = typeof o?.size === 'number' ? o.size : -1;
      if (!/^[0-9a-f]{64}$/.test(oid) || !Number.isSafeInteger(size) || size < 0) {
        out.push({
          oid,
          size,
          kind: 'error',
          code: 422,
          message: 'oid must be 64 hex digits, size a non-negative integer',
        });
        continue;
      }
      const parts = Math.ceil(size / this.partSize);
      if (parts > 1 && parts > partsLeft) {
        out.push({
          oid,
          size,
          kind: 'error',
          code: 422,
          message: 'too many parts in one batch: send fewer objects',
        });
        continue;
      }
      const plan = await this.planOne(repository, oid, size, openedBy);
      if (plan.kind === 'parts') partsLeft -= plan.parts;
      if (plan.kind === 'staged-parts') partsLeft -= plan.urls.length;
      out.push(plan);
    }
    return out;
  }

  private async planOne(
    repository: string,
    oid: string,
    size: number,
    openedBy: string | null,
  ): Promise<LfsPlan> {
    const digest = `sha256:${oid}`;
    let held = await this.sizeIn(repository, digest);
    if (held === undefined && (await this.distribution.blobs.adopt(repository, digest)))
      held = await this.sizeIn(repository, digest);
    if (held !== undefined) {
      return held === size
        ? { oid, size, kind: 'held' }
        : { oid, size, kind: 'error', code: 422, message: `object ${oid} has ${held} bytes, not ${size}` };
    }
    if (size === 0) {
      if (oid !== emptyOid)
        return { oid, size, kind: 'error', code: 422, message: 'an empty object has the oid of no bytes' };
      await this.distribution.uploads.monolithic(repository, digest, Readable.from([]), 0, openedBy);
      return { oid, size, kind: 'held' };
    }
    const presigned = this.distribution.presignedUploads;
    if (presigned.available(repository)) {
      const session = await this.distribution.uploads.start(repository, openedBy);
      // One PUT up to a part's size; above it a multipart upload whose parts go up in parallel.
      const staged = await presigned.start(repository, { size, partSize: this.partSize });
      if (staged.url !== undefined)
        return { oid, size, kind: 'staged', upload: staged.id, url: staged.url, session };
      const count = staged.part_count as number;
      const urls: string[] = [];
      for (let first = 1; first <= count; first += maxPartsPerRequest) {
        const numbers = Array.from(
          { length: Math.min(maxPartsPerRequest, count - first + 1) },
          (_, i) => first + i,
        );
        const batch = await presigned.parts(repository, staged.id, numbers);
        urls.push(...batch.urls.map((u) => u.url));
      }
      return {
        oid,
        size,
        kind: 'staged-parts',
        upload: staged.id,
        session,
        partSize: staged.part_size as number,
        urls,
      };
    }
    const upload = await this.distribution.uploads.start(repository, openedBy);
    if (size <= this.partSize) return { oid, size, kind: 'whole', upload };
    return {
      oid,
      size,
      kind: 'parts',
      upload,
      partSize: this.partSize,
      parts: Math.ceil(size / this.partSize),
    };
  }

  /** The whole object in one PUT: refused unless it is `size` bytes whose sha256 is `oid`. */
  async putWhole(
    repository: string,
    upload: string,
    oid: string,
    size: number,
    body: Readable,
    length: number | undefined,
  ): Promise<void> {
    if (length !== undefined && length !== size) {
      await this.distribution.uploads.cancel(repository, upload);
      throw new AppError('SIZE_INVALID', `object ${oid} has ${size} bytes; ${length} were sent`);
    }
    await this.distribution.uploads.complete(repository, upload, `sha256:${oid}`, body, undefined, size);
  }

  /**
   * Part `part` (from 1) of `partSize` bytes (the last one shorter): stored once the parts before it
   * are, so the bytes are written and hashed once, in order, whatever order the client sends them in.
   */
  async putPart(
    repository: string,
    upload: string,
    part: number,
    partSize: number,
    size: number,
    body: Readable,
    length: number | undefined,
  ): Promise<void> {
    const start = (part - 1) * partSize;
    if (!Number.isSafeInteger(part) || part < 1 || start >= size)
      throw new AppError('REQUEST_INVALID', `no part ${part} in an object of ${size} bytes`);
    const expected = Math.min(partSize, size - start);
    if (length !== undefined && length !== expected)
      throw new AppError('SIZE_INVALID', `part ${part} has ${expected} bytes; ${length} were sent`);
    const until = Date.now() + partWaitMs;
    for (;;) {
      const stored = await this.distribution.uploads.status(repository, upload);
      if (stored >= start + expected) {
        body.resume();
        return;
      }
      if (stored === start) break;
      if (stored > start) throw new AppError('BLOB_UPLOAD_INVALID', `part ${part} was stored in part only`);
      if (Date.now() > until)
        throw new AppError('BLOB_UPLOAD_INVALID', `the parts before part ${part} never came`);
      await sleep(50);
    }
    await this.distribution.uploads.append(
      repository,
      upload,
      body,
      { start, end: start + expected - 1 },
      expected,
    );
  }

  /** Every part is there: verify size and digest, make the object a blob of the repository. */
  async completeParts(repository: string, upload: string, oid: string, size: number): Promise<void> {
    const stored = await this.distribution.uploads.status(repository, upload);
    if (stored !== size) {
      await this.distribution.uploads.cancel(repository, upload);
      throw new AppError('SIZE_INVALID', `object ${oid} has ${size} bytes; ${stored} were sent`);
    }
    await this.distribution.uploads.complete(repository, upload, `sha256:${oid}`);
  }

  /** The bytes sent to the bucket: verified by reading them once, then moved to their address. */
  async completeStaged(
    repository: string,
    session: string,
    upload: string,
    oid: string,
    size: number,
    /** A multipart upload's parts, with the ETags the bucket answered for them. */
    parts?: { number: number; etag: string }[],
  ): Promise<void> {
    // Only the repository the session was opened for: the staged object's id alone names no repository.
    await this.distribution.uploads.status(repository, session);
    let stored: number;
    try {
      stored = await this.distribution.presignedUploads.complete(
        repository,
        upload,
        `sha256:${oid}`,
        parts ? { parts } : {},
      );
    } finally {
      await this.distribution.uploads.cancel(repository, session);
    }
    if (stored !== size)
      throw new AppError('SIZE_INVALID', `object ${oid} has ${stored} bytes, not the ${size} announced`);
  }

  private async sizeIn(repository: string, digest: string): Promise<number | undefined> {
    try {
      return await this.distribution.blobs.stat(repository, digest);
    } catch (err) {
      if (err instanceof AppError && err.code === 'BLOB_UNKNOWN') return undefined;
      throw err;
    }
  }
}

import { Readable } from 'node:stream';
import type { UploadStore } from '../driver.js';
import { StorageConflict, StorageNotFound } from '../errors.js';
import type { S3Context } from './context.js';
import { copyObject } from './copy.js';
import {
  abortMultipart,
  completeMultipart,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart.js';
import { deleteKeys, getStream, headSize, listObjects, putObject, readInto } from './objects.js';
import { ensureMultipart } from './resume.js';
import { TailWriter } from './tail-writer.js';
import { CorruptUpload, hintedPartBase, loadUploadState, type UploadState } from './upload-state.js';

/**
 * Resumable uploads on S3. An upload is a multipart upload at `_uploads/<key>/data` whose parts
 * follow a fixed schedule, plus the tail not yet a whole part as small fragment objects (see
 * TailWriter). Everything is read back from the bucket on each call, so any process continues
 * any upload.
 */
export class S3Uploads implements UploadStore {
  constructor(private readonly ctx: S3Context) {}

  async start(key: string): Promise<void> {
    await putObject(this.ctx, this.ctx.keys.started(key), Buffer.from(new Date().toISOString()));
  }

  async size(key: string): Promise<number | null> {
    return (await loadUploadState(this.ctx, key))?.size ?? null;
  }

  async append(key: string, offset: number, data: Readable, sizeHint?: number): Promise<number> {
    // The stream is ours from now on: an error while the state loads must not go unhandled
    // (iterating it below still throws that error).
    data.on('error', () => {});
    const state = await this.load(key);
    if (state.size !== offset) {
      data.resume();
      throw new StorageConflict(`upload ${key} is at ${state.size}, not ${offset}`);
    }
    // The first bytes of an upload choose its part size: a client sending chunks of a part's
    // size or less (at least S3's minimum) gets one part per chunk, and no tail to fold.
    const fresh = !state.multipart && !state.base && state.fragments.length === 0;
    if (fresh && sizeHint !== undefined) state.partBase = hintedPartBase(this.ctx, sizeHint);
    const writer = new TailWriter(this.ctx, state);
    try {
      try {
        for await (const chunk of data as AsyncIterable<Buffer>) await writer.write(chunk);
      } catch (err) {
        // Keep what arrived before the failure, as a file would.
        await writer.flush().catch(() => {});
        throw err;
      }
      await writer.flush();
    } finally {
      writer.release();
    }
    return state.size;
  }

  /**
   * The bytes so far. Parts of a multipart upload in progress cannot be read, so a live upload is
   * first completed into its `data` object; the next append starts a new multipart upload whose
   * first parts are server-side copies of it (ensureMultipart). Only a restarted or other process
   * calls this, once per upload, to rebuild its hash.
   */
  async read(key: string): Promise<Readable> {
    const state = await this.load(key);
    if (state.multipart && state.multipart.parts.length > 0) await this.completeInto(state);
    const ctx = this.ctx;
    const dataKey = ctx.keys.data(key);
    async function* bytes(): AsyncGenerator<Buffer> {
      if (state.base && state.prefixEnd > 0) yield* await getStream(ctx, dataKey, 0, state.prefixEnd - 1);
      for (const f of state.fragments) {
        yield* await (f.start === undefined
          ? getStream(ctx, f.key)
          : getStream(ctx, f.key, f.start, f.start + f.size - 1));
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  /** Make the upload the object at `path` (whole or not at all: the last step is one copy), then clean up. */
  async commit(key: string, path: string): Promise<void> {
    const ctx = this.ctx;
    const target = ctx.keys.object(path);
    const state = await this.load(key);
    const dataKey = ctx.keys.data(key);
    const tailInData = state.fragments.every((f) => f.key === dataKey);
    if (state.multipart && state.multipart.parts.length === 0 && state.fragments.length === 0) {
      await putObject(ctx, target, Buffer.alloc(0));
    } else if (state.base && tailInData) {
      // `data` holds every byte already (completed by a read, perhaps with the tail as its last part).
      await copyObject(ctx, dataKey, target, state.size);
    } else if (state.multipart || state.base) {
      const multipart = await ensureMultipart(ctx, state);
      if (state.fragments.length > 0) {
        const tail = await this.readFragments(state);
        multipart.parts.push(
          await uploadPart(ctx, dataKey, multipart.uploadId, multipart.parts.length + 1, tail),
        );
        state.shortPart = undefined;
      }
      await this.completeInto(state);
      await copyObject(ctx, dataKey, target, state.size);
    } else if (state.fragments.length === 1 && state.fragments[0]) {
      await copyObject(ctx, state.fragments[0].key, target, state.size);
    } else {
      // The fragments together are smaller than a part: one PUT of their bytes.
      await putObject(ctx, target, await this.readFragments(state));
    }
    await this.abort(key);
  }

  /** Abort every multipart upload of the upload and delete its objects; nothing left is fine. */
  async abort(key: string): Promise<void> {
    const ctx = this.ctx;
    const prefix = ctx.keys.upload(key);
    const objects: string[] = [];
    const uploadIds = new Set<string>();
    for await (const o of listObjects(ctx, prefix)) {
      objects.push(o.key);
      const what = ctx.keys.classify(key, o.key);
      if (what.kind === 'marker') uploadIds.add(what.uploadId);
    }
    // Also those created just before a crash, before their marker was written.
    for await (const u of listMultipartUploads(ctx, prefix)) uploadIds.add(u.uploadId);
    for (const id of uploadIds) {
      await abortMultipart(ctx, ctx.keys.data(key), id);
      ctx.parts.delete(id);
    }
    // The start marker last: until it is gone the upload is still listed, so a purge can retry.
    const started = ctx.keys.started(key);
    await deleteKeys(
      ctx,
      objects.filter((k) => k !== started),
    );
    if (objects.includes(started)) await deleteKeys(ctx, [started]);
  }

  /** Every upload with its latest write (objects and parts), for purging stale ones. */
  async *list(): AsyncGenerator<{ key: string; modified: Date }> {
    const ctx = this.ctx;
    let current: { key: string; modified: Date; uploadIds: string[] } | undefined;
    const finish = async (u: NonNullable<typeof current>) => {
      for (const id of u.uploadIds) {
        for (const p of (await listParts(ctx, ctx.keys.data(u.key), id)) ?? []) {
          if (p.modified > u.modified) u.modified = p.modified;
        }
      }
      return { key: u.key, modified: u.modified };
    };
    for await (const o of listObjects(ctx, ctx.keys.uploadsPrefix)) {
      const key = ctx.keys.uploadOf(o.key);
      if (key === undefined) continue;
      if (current && current.key !== key) yield await finish(current);
      if (!current || current.key !== key) current = { key, modified: o.modified, uploadIds: [] };
      if (o.modified > current.modified) current.modified = o.modified;
      const what = ctx.keys.classify(key, o.key);
      if (what.kind === 'marker') current.uploadIds.push(what.uploadId);
    }
    if (current) yield await finish(current);
  }

  private async load(key: string): Promise<UploadState> {
    const state = await loadUploadState(this.ctx, key);
    if (!state) throw new StorageNotFound(key);
    return state;
  }

  /**
   * Complete the live multipart upload into `data`, check its size, drop its marker. A short last
   * part left by an interrupted commit is completed with the rest: S3 servers (Ceph among them)
   * refuse a Complete that leaves out an uploaded part. Its bytes are the first fragments, which
   * stay, so `data` then ends inside a part and its bytes past the whole parts are read as a range.
   */
  private async completeInto(state: UploadState): Promise<void> {
    const multipart = state.multipart;
    if (!multipart) return;
    const dataKey = this.ctx.keys.data(state.key);
    const parts = state.shortPart ? [...multipart.parts, state.shortPart] : multipart.parts;
    const expected = parts.reduce((sum, p) => sum + p.size, 0);
    await completeMultipart(this.ctx, dataKey, multipart.uploadId, parts);
    this.ctx.parts.delete(multipart.uploadId);
    // Ceph's Complete response has an empty ETag; HEAD tells what was made.
    const size = await headSize(this.ctx, dataKey);
    if (size !== expected) {
      throw new CorruptUpload(state.key, `completed object has ${size} bytes, ${expected} expected`);
    }
    await deleteKeys(this.ctx, [multipart.marker, ...state.garbage.filter((k) => k !== dataKey)]);
    state.garbage = [];
    state.multipart = undefined;
    state.base = true;
  }

  /** The tail fragments' bytes (less than one part) in one buffer. */
  private async readFragments(state: UploadState): Promise<Buffer> {
    const tail = Buffer.allocUnsafe(state.fragments.reduce((sum, f) => sum + f.size, 0));
    let at = 0;
    for (const f of state.fragments) {
      await readInto(this.ctx, f.key, tail, at, f.size, f.start);
      at += f.size;
    }
    return tail;
  }
}

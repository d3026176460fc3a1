import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { sendBuffer } from './buffer-body.js';
import type { S3Context } from './context.js';
import { isNotFound } from './errors.js';

export interface ListedObject {
  key: string;
  size: number;
  modified: Date;
}

/** Every object under a prefix, in key order, a page (up to 1,000) at a time. */
export async function* listObjects(ctx: S3Context, prefix: string): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await ctx.client.send(
      new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield { key: o.Key, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The common prefixes one level below `prefix` (e.g. the upload keys under `_uploads/`). */
export async function* listPrefixes(ctx: S3Context, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await ctx.client.send(
      new ListObjectsV2Command({
        Bucket: ctx.bucket,
        Prefix: prefix,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) yield p.Prefix;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Size of an object, or null when absent. */
export async function headSize(ctx: S3Context, key: string, bucket = ctx.bucket): Promise<number | null> {
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** A stream of an object or a range of it (both ends inclusive). */
export async function getStream(
  ctx: S3Context,
  key: string,
  start?: number,
  end?: number,
): Promise<Readable> {
  const range = start === undefined ? undefined : `bytes=${start}-${end ?? ''}`;
  const res = await ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key, Range: range }));
  return res.Body as Readable;
}

/** Read `length` bytes of an object (from `start`, if given) into `target` at `at` (a part being assembled). */
export async function readInto(
  ctx: S3Context,
  key: string,
  target: Buffer,
  at: number,
  length: number,
  start?: number,
): Promise<void> {
  if (length === 0) return;
  const body =
    start === undefined ? await getStream(ctx, key) : await getStream(ctx, key, start, start + length - 1);
  let pos = at;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (pos + chunk.length > at + length) {
      body.destroy();
      throw new Error(`storage: ${key} is larger than the ${length} bytes listed`);
    }
    chunk.copy(target, pos);
    pos += chunk.length;
  }
  if (pos !== at + length) throw new Error(`storage: ${key} has ${pos - at} bytes, ${length} listed`);
}

export async function putObject(ctx: S3Context, key: string, body: Buffer): Promise<void> {
  await sendBuffer(body, (Body) =>
    ctx.client.send(
      new PutObjectCommand({
        Bucket: ctx.bucket,
        Key: key,
        Body,
        ContentLength: body.length,
        ...ctx.write,
      }),
    ),
  );
}

/** Delete keys, 1,000 per request; missing keys are not an error. */
export async function deleteKeys(ctx: S3Context, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const res = await ctx.client.send(
      new DeleteObjectsCommand({
        Bucket: ctx.bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(`storage: could not delete ${failed.length} objects (${first?.Key}: ${first?.Code})`);
    }
  }
}

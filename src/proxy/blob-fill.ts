import { PassThrough, type Readable } from 'node:stream';

/** How much a client's stream holds before the fill waits for it to read. */
const clientBuffer = 1 << 20;

/** Resolves when `stream` can take more, or is gone (a client that left holds nobody up). */
function writable(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/**
 * One blob coming from the upstream: its bytes go to storage (`store`, the one ingest path, which
 * hashes and verifies them) and, as they arrive, to every client that subscribed before the first
 * byte. The last chunk is held back until storage has verified the digest, so no client receives a
 * whole blob that was refused; on any failure every client's stream is destroyed (a short body).
 * A client that leaves is dropped; the fill goes on for the others and for the cache.
 */
export class BlobFill {
  /** Settles when the blob is stored (and linked), or the fill failed. */
  readonly done: Promise<void>;
  private readonly clients = new Set<PassThrough>();
  private flowing = false;

  constructor(
    private readonly body: Readable,
    /** The blob's size, as the upstream announced it. */
    readonly size: number,
    store: (bytes: Readable) => Promise<void>,
    private readonly counted: (bytes: number) => void,
  ) {
    const toStorage = new PassThrough({ highWaterMark: clientBuffer });
    const stored = store(toStorage);
    this.done = this.pump(toStorage, stored);
    this.done.catch(() => undefined);
  }

  /** A stream of the whole blob for one more client, or undefined once bytes have gone by. */
  subscribe(): Readable | undefined {
    if (this.flowing) return undefined;
    const stream = new PassThrough({ highWaterMark: clientBuffer });
    this.clients.add(stream);
    stream.once('close', () => this.clients.delete(stream));
    return stream;
  }

  private async pump(toStorage: PassThrough, stored: Promise<void>): Promise<void> {
    let failed: unknown;
    let storeSettled = false;
    const storeDone = stored.then(
      () => (storeSettled = true),
      (err: unknown) => {
        storeSettled = true;
        failed ??= err;
      },
    );
    let held: Buffer | undefined;
    try {
      for await (const chunk of this.body as AsyncIterable<Buffer>) {
        this.flowing = true;
        this.counted(chunk.length);
        const waits: Promise<unknown>[] = [];
        if (!toStorage.write(chunk)) waits.push(writable(toStorage));
        if (held) {
          for (const client of this.clients) if (!client.write(held)) waits.push(writable(client));
        }
        held = chunk;
        if (waits.length > 0) await Promise.race([Promise.all(waits), storeDone]);
        if (storeSettled) break;
      }
      toStorage.end();
    } catch (err) {
      failed ??= err;
      toStorage.destroy(err instanceof Error ? err : new Error(String(err)));
    }
    if (storeSettled && failed === undefined && !toStorage.writableEnded) {
      failed = new Error('storage stopped reading the blob');
    }
    this.body.destroy();
    await storeDone;
    if (failed !== undefined) {
      for (const client of this.clients)
        client.destroy(failed instanceof Error ? failed : new Error(String(failed)));
      throw failed;
    }
    for (const client of this.clients) {
      if (held) client.write(held);
      client.end();
    }
  }
}

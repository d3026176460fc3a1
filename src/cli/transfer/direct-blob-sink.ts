import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobJob, BlobSink } from './blob-sink.js';
import type { BlobPlaces } from './blob-places.js';
import { fileSlice } from './file-slice.js';
import { TransferError, type TransferHttp } from './transfer-http.js';

const maxAttempts = 6;
/** Saved sessions of direct uploads: `direct:<id>:<part size>` (a /v2 session is a URL). */
const sessionPattern = /^direct:([0-9a-f-]{36}):(\d+)$/;

interface Started {
  id: string;
  url?: string;
  part_size?: number;
  part_count?: number;
}

interface Parts {
  uploaded: { number: number; size: number; etag: string }[];
  urls: { number: number; url: string }[];
}

/**
 * Blobs sent straight to the registry's bucket: the server presigns one PUT, or the parts of a
 * multipart upload it opened, and verifies the digest and size before linking the blob
 * (`/api/v1/registries/<r>/browser-uploads`). The bytes never pass through the server. A session is
 * remembered as soon as it is opened; a later run asks which parts the bucket holds and sends only
 * the others, so an interruption costs at most the part in flight. A registry that cannot take
 * direct uploads (a filesystem store, an older server) gets every blob through `fallback`.
 */
export class DirectBlobSink implements BlobSink {
  private direct: boolean | undefined;

  constructor(
    private readonly http: TransferHttp,
    private readonly registry: string,
    /** The repository inside the registry (`models/<name>`). */
    private readonly repository: string,
    private readonly fallback: BlobSink,
    private readonly partSize: number,
    private readonly places?: BlobPlaces,
  ) {}

  private get fullRepository(): string {
    return `${this.registry.toLowerCase()}/${this.repository}`;
  }

  has(digest: string): Promise<boolean> {
    return this.fallback.has(digest);
  }

  async upload(job: BlobJob): Promise<void> {
    if (this.direct === false) return this.fallback.upload(job);
    await this.send(job);
    this.places?.seen(job.digest, this.fullRepository);
  }

  private async send(job: BlobJob): Promise<void> {
    const saved = sessionPattern.exec(job.session ?? '');
    let started: Started | undefined;
    let uploaded: Parts['uploaded'] = [];
    if (saved) {
      const partSize = Number(saved[2]);
      const known = await this.listParts(saved[1] as string, job.signal);
      if (known) {
        started = { id: saved[1] as string, part_size: partSize, part_count: Math.ceil(job.size / partSize) };
        uploaded = known;
      }
    }
    if (!started) {
      started = await this.start(job);
      if (!started) return this.fallback.upload(job);
    }
    if (started.url) {
      await this.retrying(job, () => this.put(started.url as string, job, 0, job.size));
      return this.complete(job, started.id);
    }
    const partSize = started.part_size as number;
    job.saveSession(`direct:${started.id}:${partSize}`);
    const etags = new Map<number, string>();
    for (let n = 1; n <= (started.part_count as number); n++) {
      const length = Math.min(partSize, job.size - (n - 1) * partSize);
      const stored = uploaded.find((p) => p.number === n && p.size === length);
      if (stored) {
        etags.set(n, stored.etag);
        job.onResumed(length);
        continue;
      }
      const id = started.id;
      const etag = await this.retrying(job, async () => {
        const parts = (await this.call('POST', `/${id}/parts`, { numbers: [n] }, job.signal)) as Parts;
        return this.put(parts.urls[0]?.url as string, job, (n - 1) * partSize, length);
      });
      etags.set(n, etag);
    }
    const parts = [...etags].map(([number, etag]) => ({ number, etag }));
    await this.complete(job, started.id, parts);
  }

  /** Open an upload, or undefined when the registry cannot take direct uploads. */
  private async start(job: BlobJob): Promise<Started | undefined> {
    const res = await this.http.send({
      method: 'POST',
      url: this.base(),
      headers: { 'Content-Type': 'application/json' },
      body: () => JSON.stringify({ repository: this.repository, size: job.size, part_size: this.partSize }),
      signal: job.signal,
    });
    if (res.status === 405 || res.status === 404) {
      await res.body?.cancel();
      this.direct = false;
      return undefined;
    }
    if (res.status !== 201) throw await this.http.failure(res);
    this.direct = true;
    return (await res.json()) as Started;
  }

  /** The parts the bucket holds for an upload, or undefined when it is gone. */
  private async listParts(id: string, signal: AbortSignal): Promise<Parts['uploaded'] | undefined> {
    try {
      const parts = (await this.call('POST', `/${id}/parts`, { numbers: [] }, signal)) as Parts;
      this.direct = true;
      return parts.uploaded;
    } catch (err) {
      if (err instanceof TransferError && (err.status === 404 || err.status === 405)) return undefined;
      throw err;
    }
  }

  private async complete(job: BlobJob, id: string, parts?: { number: number; etag: string }[]) {
    await this.call(
      'POST',
      `/${id}/complete`,
      { repository: this.repository, digest: job.digest, size: job.size, parts },
      job.signal,
    );
    job.saveSession(undefined);
  }

  /** PUT bytes [start, start+length) of the file to a presigned URL (no credentials of ours); its ETag. */
  private async put(url: string, job: BlobJob, start: number, length: number): Promise<string> {
    let sent = 0;
    try {
      const body =
        length === 0
          ? ''
          : fileSlice(job.source, start, start + length - 1, (n) => {
              sent += n;
              job.onBytes(n);
            });
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'PUT',
          headers: { 'Content-Length': String(length) },
          body: body as unknown as RequestInit['body'],
          signal: job.signal,
          duplex: 'half',
        } as RequestInit);
      } catch (err) {
        if (job.signal.aborted) throw err;
        const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
        throw new TransferError(`cannot reach the registry's bucket: ${cause}`, 0, true);
      }
      const text = await res.text();
      if (!res.ok) {
        const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
        throw new TransferError(
          `the bucket refused the upload: ${code ?? res.statusText} (HTTP ${res.status})`,
          res.status,
          res.status >= 500 || res.status === 429 || res.status === 403,
        );
      }
      return res.headers.get('etag') ?? '';
    } catch (err) {
      job.onBytes(-sent);
      throw err;
    }
  }

  private async retrying<T>(job: BlobJob, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (job.signal.aborted || !(err instanceof TransferError) || !err.retryable || n >= maxAttempts)
          throw err;
        await sleep(250 * 2 ** n, undefined, { signal: job.signal });
      }
    }
  }

  private base(): string {
    return `/api/v1/registries/${encodeURIComponent(this.registry)}/browser-uploads`;
  }

  private async call(method: string, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const res = await this.http.send({
      method,
      url: `${this.base()}${path}`,
      headers: { 'Content-Type': 'application/json' },
      body: () => JSON.stringify({ repository: this.repository, ...(body as object) }),
      signal,
    });
    if (!res.ok) throw await this.http.failure(res);
    return res.json();
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobJob, BlobSink } from './blob-sink.js';
import type { BlobPlaces } from './blob-places.js';
import { fileSlice } from './file-slice.js';
import { TransferError, type TransferHttp } from './transfer-http.js';

export const defaultChunkSize = 32 * 1024 * 1024;
const maxAttempts = 6;

/** The offset an upload's `Range: 0-<last>` header announces. */
function offsetOf(res: Response): number {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.get('range') ?? '');
  if (!m) return 0;
  const last = Number(m[1]);
  // `0-0` is what registries answer for an empty upload.
  return last === 0 ? 0 : last + 1;
}

/**
 * Blobs over the OCI distribution API: HEAD by digest; a file of at most one chunk in one monolithic
 * POST; larger ones in an upload session, PATCHed chunk by chunk from the file (never whole in
 * memory) and closed by a PUT with the digest. A session is remembered as soon as it is opened, so a
 * run stopped at any point (even SIGKILL) continues from the offset the server reports, losing at
 * most the chunk in flight. Connection failures and busy answers are retried from that offset.
 */
export class V2BlobSink implements BlobSink {
  constructor(
    private readonly http: TransferHttp,
    readonly repository: string,
    private readonly chunkSize = defaultChunkSize,
    /** Where this machine saw blobs before: a blob held by another repository is mounted from it. */
    private readonly places?: BlobPlaces,
  ) {}

  async has(digest: string): Promise<boolean> {
    const res = await this.http.send({
      method: 'HEAD',
      url: `/v2/${this.repository}/blobs/${digest}`,
      repository: this.repository,
    });
    if (res.status === 200) {
      this.places?.seen(digest, this.repository);
      return true;
    }
    if (res.status !== 404) throw await this.http.failure(res);
    const from = this.places?.elsewhere(digest, this.repository);
    return from !== undefined && (await this.mount(digest, from));
  }

  /** A cross-repository mount: 201 when the server linked the blob, 202 (an upload it opened) when not. */
  private async mount(digest: string, from: string): Promise<boolean> {
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.http.send({
      method: 'POST',
      url: `/v2/${this.repository}/blobs/uploads/?${query}`,
      repository: this.repository,
      mountFrom: from,
    });
    await res.body?.cancel();
    if (res.status === 201) {
      this.places?.seen(digest, this.repository);
      return true;
    }
    const opened = res.headers.get('location');
    // The upload the server opened instead is not used: cancel it rather than leave it to expire.
    if (res.status === 202 && opened)
      await this.http
        .send({ method: 'DELETE', url: opened, repository: this.repository })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    return false;
  }

  async upload(job: BlobJob): Promise<void> {
    await this.send(job);
    this.places?.seen(job.digest, this.repository);
  }

  private async send(job: BlobJob): Promise<void> {
    if (job.size <= this.chunkSize) return this.retrying(job, () => this.monolithic(job));
    let session = job.session;
    let offset = session === undefined ? undefined : await this.status(session, job.signal);
    if (offset === undefined) {
      session = await this.start(job.signal);
      offset = 0;
      job.saveSession(session);
    }
    job.onResumed(offset);
    let attempts = 0;
    while (offset < job.size) {
      const end = Math.min(offset + this.chunkSize, job.size) - 1;
      let sent = 0;
      try {
        const res = await this.http.expect(
          {
            method: 'PATCH',
            url: session as string,
            repository: this.repository,
            headers: {
              'Content-Type': 'application/octet-stream',
              'Content-Length': String(end - offset + 1),
              'Content-Range': `${offset}-${end}`,
            },
            body: () => this.slice(job, offset as number, end, (n) => (sent += n)),
            signal: job.signal,
          },
          [202],
        );
        session = res.headers.get('location') ?? session;
        job.saveSession(session);
        offset = offsetOf(res);
        attempts = 0;
      } catch (err) {
        job.onBytes(-sent);
        if (job.signal.aborted || !this.worthRetrying(err, ++attempts)) throw err;
        // 416: the server holds a different offset than this run thought; ask it and go on from there.
        if ((err as TransferError).status !== 416)
          await sleep(250 * 2 ** attempts, undefined, { signal: job.signal });
        const now = await this.status(session as string, job.signal);
        if (now === undefined) throw err;
        job.onBytes(now - (offset as number));
        offset = now;
      }
    }
    const url = new URL(this.http.resolve(session as string));
    url.searchParams.set('digest', job.digest);
    await this.http.expect(
      { method: 'PUT', url: url.toString(), repository: this.repository, signal: job.signal },
      [201],
    );
    job.saveSession(undefined);
  }

  private slice(job: BlobJob, start: number, end: number, count: (n: number) => void) {
    const body = fileSlice(job.source, start, end, (n) => {
      count(n);
      job.onBytes(n);
    });
    return body as unknown as RequestInit['body'];
  }

  private async monolithic(job: BlobJob): Promise<number> {
    let sent = 0;
    try {
      await this.http.expect(
        {
          method: 'POST',
          url: `/v2/${this.repository}/blobs/uploads/?digest=${encodeURIComponent(job.digest)}`,
          repository: this.repository,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(job.size) },
          body: () => (job.size === 0 ? '' : this.slice(job, 0, job.size - 1, (n) => (sent += n))),
          signal: job.signal,
        },
        [201],
      );
      return sent;
    } catch (err) {
      job.onBytes(-sent);
      throw err;
    }
  }

  private async retrying(job: BlobJob, attempt: () => Promise<unknown>): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        await attempt();
        return;
      } catch (err) {
        if (job.signal.aborted || !this.worthRetrying(err, n)) throw err;
        await sleep(250 * 2 ** n, undefined, { signal: job.signal });
      }
    }
  }

  private worthRetrying(err: unknown, attempts: number): boolean {
    return err instanceof TransferError && (err.retryable || err.status === 416) && attempts < maxAttempts;
  }

  private async start(signal: AbortSignal): Promise<string> {
    const res = await this.http.expect(
      { method: 'POST', url: `/v2/${this.repository}/blobs/uploads/`, repository: this.repository, signal },
      [202],
    );
    const location = res.headers.get('location');
    if (!location) throw new TransferError('the registry opened an upload without a Location', 202, false);
    return location;
  }

  /** The offset of an open session, or undefined when the server no longer has it. */
  private async status(session: string, signal: AbortSignal): Promise<number | undefined> {
    const res = await this.http.send({ method: 'GET', url: session, repository: this.repository, signal });
    if (res.status === 204 || res.status === 202 || res.status === 404) {
      await res.body?.cancel();
      return res.status === 404 ? undefined : offsetOf(res);
    }
    throw await this.http.failure(res);
  }
}

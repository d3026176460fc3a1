import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AppError } from '../errors/index.js';
import { assertDigest, isDigest, isTag, type Distribution } from '../oci/index.js';
import type { StoreRouter } from '../oci/index.js';
import { BlobFill } from './blob-fill.js';
import type { ProxyCache, ProxyCaches } from './proxy-caches.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { TagChecks } from './tag-checks.js';
import { UpstreamError } from './upstream-error.js';

/** A blob the cache answers itself: its size, and for a GET a stream of its bytes as they arrive. */
export interface ProxiedBlob {
  size: number;
  stream?: Readable;
}

/**
 * The pull path of proxy registries. Content is cached through the OCI services like any push
 * (manifests by `ManifestService.put`, blobs by `UploadService.monolithic`: hashed, verified,
 * linked), so GC, notifications and the catalog see it. Digests are immutable: once cached, served
 * locally. A tag is asked upstream (HEAD) at most once per TTL; when the upstream fails, a cached
 * tag is served (and the failure logged). One upstream GET per blob however many clients ask.
 */
export class PullThrough {
  private readonly tagChecks = new TagChecks();
  private readonly manifestFills = new Map<string, Promise<void>>();
  private readonly blobFills = new Map<string, Promise<BlobFill>>();

  constructor(
    private readonly caches: ProxyCaches,
    private readonly distribution: Distribution,
    private readonly stores: Pick<StoreRouter, 'storeFor'>,
    private readonly metrics: ProxyMetrics,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly manifestLimit: number,
  ) {}

  /** Whether a repository belongs to a proxy registry (pushes there are refused). */
  covers(repository: string): boolean {
    return this.caches.cacheOf(repository) !== undefined;
  }

  /** Make sure the manifest a GET or HEAD asks for is in the cache and, for a tag, current. */
  async manifest(repository: string, reference: string): Promise<void> {
    const cache = this.caches.cacheOf(repository);
    if (!cache) return;
    // Only a well-formed reference is ever put into an upstream URL.
    if (isDigest(reference)) assertDigest(reference);
    else if (!isTag(reference)) throw new AppError('MANIFEST_UNKNOWN', undefined, { reference });
    const local = await this.distribution.manifests.get(repository, reference).catch(() => undefined);
    if (isDigest(reference)) {
      if (local) return this.metrics.hit(cache.registry);
      return this.once(this.manifestFills, `${repository}@${reference}`, () =>
        this.fetchManifest(cache, repository, reference, null),
      );
    }
    const key = `${cache.registry}\0${repository}:${reference}`;
    if (local && this.tagChecks.fresh(key, cache.ttl)) return this.metrics.hit(cache.registry);
    return this.once(this.manifestFills, key, async () => {
      if (!local) {
        await this.fetchManifest(cache, repository, reference, reference);
        this.tagChecks.mark(key);
        return;
      }
      let current: string | undefined;
      try {
        current = await cache.upstream.headManifest(cache.upstreamName(repository), reference);
      } catch (err) {
        this.failed(cache, err);
        // Served from the cache; asked again after the TTL, not on every pull.
        this.tagChecks.mark(key);
        this.log.warn(
          { registry: cache.registry, repository, tag: reference, reason: (err as Error).message },
          'proxy: upstream failed; serving the cached tag',
        );
        return this.metrics.hit(cache.registry);
      }
      this.tagChecks.mark(key);
      if (current === local.digest) return this.metrics.hit(cache.registry);
      await this.fetchManifest(cache, repository, current ?? reference, reference);
    });
  }

  /**
   * A blob the repository does not hold yet: its size for a HEAD, a stream of its bytes for a GET
   * (undefined once it is stored here: the caller serves it as any blob).
   */
  async blob(
    repository: string,
    digest: string,
    ask: { head: boolean; range: boolean },
  ): Promise<ProxiedBlob | undefined> {
    const cache = this.caches.cacheOf(repository);
    if (!cache) return undefined;
    assertDigest(digest);
    if (await this.held(repository, digest)) {
      this.metrics.hit(cache.registry);
      return undefined;
    }
    const upstreamName = cache.upstreamName(repository);
    if (ask.head) {
      this.metrics.miss(cache.registry);
      const size = await this.upstream(cache, () => cache.upstream.headBlob(upstreamName, digest), digest);
      return { size };
    }
    const fill = await this.fill(cache, repository, digest);
    const stream = ask.range ? undefined : fill.subscribe();
    if (stream) return { size: fill.size, stream };
    // Joined after bytes went by (or a range): served from the cache once stored.
    await fill.done.catch((err: unknown) => {
      throw this.asAppError(err, 'BLOB_UNKNOWN', { digest });
    });
    if (!(await this.held(repository, digest))) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
    return undefined;
  }

  /** Linked into the repository already, or held by its store and linked now (another repository's). */
  private async held(repository: string, digest: string): Promise<boolean> {
    const linked = await this.distribution.blobs.stat(repository, digest).then(
      () => true,
      () => false,
    );
    return linked || this.distribution.blobs.adopt(repository, digest);
  }

  /** The one fill of a blob in a store, shared by every client asking meanwhile. */
  private fill(cache: ProxyCache, repository: string, digest: string): Promise<BlobFill> {
    const key = `${this.stores.storeFor(repository).location}\0${digest}`;
    const known = this.blobFills.get(key);
    if (known) return known;
    const started = (async () => {
      this.metrics.miss(cache.registry);
      const upstreamName = cache.upstreamName(repository);
      const res = await this.upstream(cache, () => cache.upstream.blob(upstreamName, digest), digest);
      const size = Number(res.headers['content-length']);
      if (!Number.isSafeInteger(size) || size < 0) {
        res.close();
        throw new AppError(
          'UNAVAILABLE',
          `upstream ${cache.upstream.origin} sent ${digest} without a length`,
        );
      }
      return new BlobFill(
        res.body,
        size,
        (bytes) => this.distribution.uploads.monolithic(repository, digest, bytes, size, null),
        (n) => this.metrics.upstreamBytes(cache.registry, n),
      );
    })();
    this.blobFills.set(key, started);
    started.then(
      (fill) =>
        fill.done.then(
          () => this.blobFills.delete(key),
          (err: unknown) => {
            this.blobFills.delete(key);
            this.failed(cache, err);
            this.log.warn(
              { registry: cache.registry, repository, digest, reason: (err as Error).message },
              'proxy: blob fill failed',
            );
          },
        ),
      () => this.blobFills.delete(key),
    );
    return started;
  }

  private async fetchManifest(
    cache: ProxyCache,
    repository: string,
    reference: string,
    tag: string | null,
  ): Promise<void> {
    this.metrics.miss(cache.registry);
    const got = await this.upstream(cache, () =>
      cache.upstream.getManifest(cache.upstreamName(repository), reference, this.manifestLimit),
    );
    await this.distribution.manifests.put(repository, tag ?? got.digest, got.body, got.contentType, {
      partial: true,
    });
  }

  /** An upstream call whose failures count and become the client's error. */
  /** An upstream call whose failures count and become the client's error (`blob`: a blob's digest). */
  private async upstream<T>(cache: ProxyCache, call: () => Promise<T>, blob?: string): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.failed(cache, err);
      throw blob === undefined
        ? this.asAppError(err, 'MANIFEST_UNKNOWN')
        : this.asAppError(err, 'BLOB_UNKNOWN', { digest: blob });
    }
  }

  private failed(cache: ProxyCache, err: unknown): void {
    if (err instanceof UpstreamError && err.kind !== 'not-found') this.metrics.upstreamError(cache.registry);
  }

  private asAppError(err: unknown, unknown: 'MANIFEST_UNKNOWN' | 'BLOB_UNKNOWN', detail?: object): unknown {
    if (!(err instanceof UpstreamError)) return err;
    switch (err.kind) {
      case 'not-found':
        return new AppError(unknown, undefined, detail);
      case 'refused':
        return new AppError('DENIED', err.message);
      case 'throttled':
        return new AppError('TOOMANYREQUESTS', err.message);
      default:
        return new AppError('UNAVAILABLE', err.message);
    }
  }

  /** Run `work` once per key at a time; callers meanwhile wait for the same outcome. */
  private once(map: Map<string, Promise<void>>, key: string, work: () => Promise<void>): Promise<void> {
    const known = map.get(key);
    if (known) return known;
    const running = work().finally(() => map.delete(key));
    map.set(key, running);
    return running;
  }
}

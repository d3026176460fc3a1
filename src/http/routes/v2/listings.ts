import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { mediaTypes, type Distribution } from '../../../oci/index.js';
import type { OciTarget } from '../../oci-router.js';

const maxPageSize = 10_000;
/** A referrers page stops near this many bytes (the spec lets a registry truncate, with a Link). */
const referrersPageBytes = 1 << 20;

/** GET `/v2/_catalog`: the repositories, only those the caller may read when the guard says which. */
export async function handleCatalog(
  distribution: Distribution,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const { n, last } = pagination(request, 1000);
  const visible = request.repositoryVisible;
  let repositories: string[] = [];
  if (n > 0 && !visible) repositories = await distribution.catalog(n + 1, last);
  else if (n > 0 && visible) {
    // Only what the caller may read, paged over the filtered list so `last` and Link stay exact.
    let after = last;
    for (;;) {
      const batch = await distribution.catalog(1000, after);
      repositories.push(...batch.filter(visible));
      if (repositories.length > n || batch.length < 1000) break;
      after = batch.at(-1);
    }
  }
  const page = repositories.slice(0, n);
  if (repositories.length > n) linkNext(reply, '/v2/_catalog', n, page.at(-1)!);
  return reply.send({ repositories: page });
}

/** GET `…/tags/list`. */
export async function handleTags(
  distribution: Distribution,
  { name }: Extract<OciTarget, { kind: 'tags' }>,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const { n, last } = pagination(request, maxPageSize);
  const found = await distribution.manifests.tags(name, n + 1, last);
  const page = found.slice(0, n);
  if (found.length > n) linkNext(reply, `/v2/${name}/tags/list`, n, page.at(-1)!);
  return reply.send({ name, tags: page });
}

/** GET `…/referrers/<digest>`: an image index of the manifests whose subject it is, optionally by artifact type. */
export async function handleReferrers(
  distribution: Distribution,
  { name, digest }: Extract<OciTarget, { kind: 'referrers' }>,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const query = request.query as Record<string, string | undefined>;
  const artifactType = query.artifactType;
  const page = await distribution.manifests.referrers(name, digest, {
    artifactType,
    after: query.last || undefined,
    maxBytes: referrersPageBytes,
    maxCount: maxPageSize,
  });
  if (artifactType !== undefined) reply.header('OCI-Filters-Applied', 'artifactType');
  if (page.next !== undefined) {
    const next = new URLSearchParams({
      ...(artifactType !== undefined ? { artifactType } : {}),
      last: page.next,
    });
    reply.header('Link', `</v2/${name}/referrers/${digest}?${next}>; rel="next"`);
  }
  // Sent as bytes: Fastify would append '; charset=utf-8' to a serialized object's media type.
  return reply.type(mediaTypes.ociIndex).send(Buffer.from(page.json));
}

function pagination(request: FastifyRequest, max: number): { n: number; last?: string } {
  const query = request.query as Record<string, string | undefined>;
  let n = max;
  if (query.n !== undefined) {
    n = Number(query.n);
    if (!/^\d+$/.test(query.n) || !Number.isSafeInteger(n)) {
      throw new AppError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: query.n });
    }
    n = Math.min(n, max);
  }
  return { n, last: query.last || undefined };
}

function linkNext(reply: FastifyReply, path: string, n: number, last: string): void {
  reply.header('Link', `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`);
}

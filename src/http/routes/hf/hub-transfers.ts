import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { contentLength, readLimited } from '../../request-body.js';
import {
  anyCaller,
  byOf,
  callerOf,
  hubBase,
  repoId,
  repoPath,
  repoTypes,
  type HubRequest,
  type HubRoutesOptions,
} from './hub-context.js';

/** Anyone holding the URL: the upload id in it is the capability (see LfsTransfers). */
const byUrl = { config: { access: 'public' as const } };

type LfsRequest = FastifyRequest<{
  Params: { upload: string; part?: string };
  Querystring: Record<string, string | undefined>;
}>;

/** Only `main` takes commits: branches and pull requests are not Arca's. */
function checkBranch(request: HubRequest): void {
  if (request.params.rev !== 'main' && request.params.rev !== 'HEAD')
    throw new AppError(
      'REQUEST_INVALID',
      `Arca takes commits to main only, not to ${request.params.rev.slice(0, 100)}`,
    );
  if (request.query.create_pr !== undefined && request.query.create_pr !== '0')
    throw new AppError('REQUEST_INVALID', 'pull requests are not supported');
}

function objectOf(request: LfsRequest): { repository: string; oid: string; size: number } {
  const { repo, oid, size } = request.query;
  const n = Number(size);
  if (
    typeof repo !== 'string' ||
    typeof oid !== 'string' ||
    !/^[0-9a-f]{64}$/.test(oid) ||
    !Number.isSafeInteger(n) ||
    n < 0
  )
    throw new AppError('REQUEST_INVALID', 'repo, oid and size are required');
  return { repository: repo, oid, size: n };
}

/** The parts a multipart completion names: `[{partNumber, etag}]`, as the Hub's clients send them. */
function namedParts(claimed: unknown): { number: number; etag: string }[] {
  const parts = (claimed as { parts?: unknown }).parts;
  if (!Array.isArray(parts) || parts.length === 0)
    throw new AppError('REQUEST_INVALID', 'parts: a list of { partNumber, etag }');
  return parts.map((p: { partNumber?: unknown; etag?: unknown }) => {
    if (!Number.isInteger(p?.partNumber) || typeof p?.etag !== 'string')
      throw new AppError('REQUEST_INVALID', 'parts: each needs a partNumber and an etag');
    return { number: p.partNumber as number, etag: p.etag };
  });
}

/**
 * Routes whose bodies are streams: NDJSON commits and LFS object bytes (whole objects, numbered
 * parts, completions). Nothing here is parsed by Fastify; every byte goes to the OCI room's ingest.
 */
export async function hubTransferRoutes(app: FastifyInstance, options: HubRoutesOptions): Promise<void> {
  const { hub } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  for (const { type, api } of repoTypes) {
    app.post(`${api}/:owner/:name/commit/:rev`, anyCaller, async (request: HubRequest) => {
      checkBranch(request);
      const repo = await hub.repos.open(callerOf(request), repoId(type, request.params), true);
      // NDJSON only: a browser cannot send that type to another site without asking first.
      const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (mediaType !== 'application/x-ndjson')
        throw new AppError('MEDIA_TYPE_UNSUPPORTED', 'Content-Type must be application/x-ndjson');
      const { commit } = await hub.commits.commit(repo, request.raw, byOf(request));
      return {
        success: true,
        commitOid: commit,
        commitUrl: `${hubBase(request)}/${repoPath(repo.id)}/commit/${commit}`,
        hookOutput: '',
      };
    });
  }

  app.put('/lfs/:upload', byUrl, async (request: LfsRequest, reply) => {
    const { repository, oid, size } = objectOf(request);
    await hub.lfs.putWhole(
      repository,
      request.params.upload,
      oid,
      size,
      request.raw,
      contentLength(request.raw),
    );
    return reply.header('ETag', `"${oid}"`).send();
  });

  app.put('/lfs/:upload/:part', byUrl, async (request: LfsRequest, reply) => {
    const { repository, size } = objectOf(request);
    const part = Number(request.params.part);
    const partSize = Number(request.query.part_size);
    if (!Number.isSafeInteger(partSize) || partSize < 1)
      throw new AppError('REQUEST_INVALID', 'part_size is required');
    await hub.lfs.putPart(
      repository,
      request.params.upload,
      part,
      partSize,
      size,
      request.raw,
      contentLength(request.raw),
    );
    return reply.header('ETag', `"part-${part}"`).send();
  });

  app.post('/lfs/:upload', byUrl, async (request: LfsRequest, reply) => {
    const { repository, oid, size } = objectOf(request);
    const body = await readLimited(request.raw, 1 << 20);
    let claimed: unknown;
    try {
      claimed = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      throw new AppError('REQUEST_INVALID', 'invalid JSON body');
    }
    if ((claimed as { oid?: unknown }).oid !== undefined && (claimed as { oid?: unknown }).oid !== oid)
      throw new AppError('REQUEST_INVALID', 'the body names another object');
    const session = request.query.session;
    if (session !== undefined)
      await hub.lfs.completeStaged(
        repository,
        session,
        request.params.upload,
        oid,
        size,
        request.query.parts === '1' ? namedParts(claimed) : undefined,
      );
    else await hub.lfs.completeParts(repository, request.params.upload, oid, size);
    return reply.type('application/vnd.git-lfs+json').send({ oid, size });
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { kindOf, repoIdText, type HubRepoType, type LfsPlan } from '../../../hf/index.js';
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

/** Files the preupload answer sends inline in the commit (`regular`); larger ones go through LFS. */
const inlineLimit = 1024 * 1024;
const lfsType = 'application/vnd.git-lfs+json';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Writes take JSON only, never a form: a browser may post a form to any site without asking, with
 * Basic credentials it holds for this one.
 */
function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!type.endsWith('json'))
    throw new AppError('MEDIA_TYPE_UNSUPPORTED', 'Content-Type must be application/json');
  return isObject(request.body) ? request.body : {};
}

function openedBy(request: FastifyRequest): string {
  return request.user !== undefined ? `user:${request.user}` : `address:${request.ip}`;
}

/** One object of the LFS batch answer, with the URLs its plan needs. */
function lfsObject(plan: LfsPlan, base: string, repository: string): Record<string, unknown> {
  const { oid, size } = plan;
  const q = (extra: Record<string, string> = {}) =>
    new URLSearchParams({ repo: repository, oid, size: String(size), ...extra }).toString();
  switch (plan.kind) {
    case 'held':
      return { oid, size };
    case 'error':
      return { oid, size, error: { code: plan.code, message: plan.message } };
    case 'whole':
      return {
        oid,
        size,
        authenticated: true,
        actions: { upload: { href: `${base}/lfs/${plan.upload}?${q()}` } },
      };
    case 'parts': {
      const header: Record<string, string> = { chunk_size: String(plan.partSize) };
      for (let n = 1; n <= plan.parts; n++)
        header[String(n)] = `${base}/lfs/${plan.upload}/${n}?${q({ part_size: String(plan.partSize) })}`;
      return {
        oid,
        size,
        authenticated: true,
        actions: { upload: { href: `${base}/lfs/${plan.upload}?${q()}`, header } },
      };
    }
    case 'staged':
      return {
        oid,
        size,
        authenticated: true,
        actions: {
          upload: {
            href: `${base}/lfs/${plan.upload}?${q({ session: plan.session })}`,
            header: { chunk_size: String(size), '1': plan.url },
          },
        },
      };
    case 'staged-parts': {
      const header: Record<string, string> = { chunk_size: String(plan.partSize) };
      plan.urls.forEach((url, i) => (header[String(i + 1)] = url));
      return {
        oid,
        size,
        authenticated: true,
        actions: {
          upload: { href: `${base}/lfs/${plan.upload}?${q({ session: plan.session, parts: '1' })}`, header },
        },
      };
    }
  }
}

/** Repository creation, preupload, the LFS batch API and commits: each needs registries/assets/write. */
export async function hubUploadRoutes(app: FastifyInstance, options: HubRoutesOptions): Promise<void> {
  const { hub } = options;

  app.post('/api/repos/create', anyCaller, async (request) => {
    const body = jsonBody(request);
    const type = (body.type ?? 'model') as string;
    if (type === 'space') throw new AppError('REQUEST_INVALID', 'Spaces are not supported by Arca');
    if (type !== 'model' && type !== 'dataset')
      throw new AppError('REQUEST_INVALID', 'type: model or dataset');
    if (typeof body.name !== 'string' || typeof body.organization !== 'string')
      throw new AppError('REQUEST_INVALID', 'name and organization (the registry) are required');
    if (body.files !== undefined)
      throw new AppError('REQUEST_INVALID', 'files at creation are not supported: commit them');
    const id = { type: type as HubRepoType, owner: body.organization, name: body.name };
    const location = hub.repos.location(callerOf(request), id);
    await hub.repos.mayWrite(callerOf(request), id, location);
    const url = `${hubBase(request)}/${repoPath({ ...id, owner: location.registry })}`;
    try {
      await hub.repos.create(location.registry, kindOf(id.type), id.name, byOf(request));
    } catch (err) {
      if (err instanceof AppError && err.code === 'ASSET_EXISTS')
        throw new AppError(
          'CONFLICT',
          `You already created this ${type} repo: ${repoIdText(id).slice(0, 200)}`,
        );
      throw err;
    }
    const name = repoIdText({ owner: location.registry, name: id.name });
    return { url, name, id: name };
  });

  for (const { type, api, files } of repoTypes) {
    const open = (request: HubRequest) =>
      hub.repos.open(callerOf(request), repoId(type, request.params), true);

    app.post(`${api}/:owner/:name/preupload/:rev`, anyCaller, async (request: HubRequest) => {
      await open(request);
      const body = jsonBody(request);
      if (!Array.isArray(body.files))
        throw new AppError('REQUEST_INVALID', 'files: a list of { path, size, sample }');
      return {
        files: body.files.map((f: unknown) => {
          const file = isObject(f) ? f : {};
          const size = typeof file.size === 'number' ? file.size : 0;
          return { path: file.path, uploadMode: size > inlineLimit ? 'lfs' : 'regular', shouldIgnore: false };
        }),
      };
    });

    app.post(
      `${files}/:owner/:name/info/lfs/objects/batch`,
      anyCaller,
      async (request: HubRequest, reply) => {
        if (!request.params.name.endsWith('.git')) throw new AppError('NOT_FOUND', 'not found');
        const params = { ...request.params, name: request.params.name.slice(0, -4) };
        const repo = await hub.repos.open(callerOf(request), repoId(type, params), true);
        const body = jsonBody(request);
        if (body.operation !== 'upload')
          throw new AppError('REQUEST_INVALID', 'only the upload operation is supported');
        const plans = await hub.lfs.plan(repo.repository, body.objects, openedBy(request));
        const base = hubBase(request);
        const multipart = plans.some((p) => p.kind === 'parts' || p.kind.startsWith('staged'));
        return reply.type(lfsType).send({
          transfer: multipart ? 'multipart' : 'basic',
          objects: plans.map((p) => lfsObject(p, base, repo.repository)),
        });
      },
    );
  }
}

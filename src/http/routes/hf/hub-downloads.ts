import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { hexOf, repoInfo, Tree, type HubRevision, type LastCommit } from '../../../hf/index.js';
import { sendBlob } from '../../send-blob.js';
import {
  anyCaller,
  callerOf,
  repoId,
  repoTypes,
  type HubRequest,
  type HubRoutesOptions,
} from './hub-context.js';

/** Entries of one page of a tree listing. */
const pageSize = 1000;

const flag = (value: unknown) => value === true || value === 'true' || value === 'True' || value === '1';

function lastCommitOf(revision: HubRevision): LastCommit {
  const v = revision.version;
  return { id: revision.commit, title: v.description || `version ${v.version}`, date: v.createdAt };
}

function treeOf(revision: HubRevision, expand: boolean): Tree {
  return new Tree(revision.version.files, revision.commit, expand ? lastCommitOf(revision) : undefined);
}

const entryNotFound = (path: string, revision: HubRevision) =>
  new AppError('ASSET_FILE_UNKNOWN', `Entry not found: ${path.slice(0, 200)}`, undefined, {
    headers: { 'X-Repo-Commit': revision.commit },
  });

/** `paths` of a paths-info body, JSON (`{paths, expand}`) or form (`paths=…&paths=…&expand=…`). */
function pathsOf(body: unknown): { paths: string[]; expand: boolean } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { paths?: unknown; expand?: unknown };
  const list = typeof b.paths === 'string' ? [b.paths] : b.paths;
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string') || list.length > 10_000)
    throw new AppError('REQUEST_INVALID', 'paths: a list of paths');
  return { paths: list as string[], expand: flag(b.expand) };
}

/** Repository info, tree listings, paths-info and file downloads (`resolve`). */
export async function hubDownloadRoutes(app: FastifyInstance, options: HubRoutesOptions): Promise<void> {
  const { hub } = options;
  for (const { type, api, files } of repoTypes) {
    const open = (request: HubRequest) => hub.repos.open(callerOf(request), repoId(type, request.params));

    app.get(`${api}/:owner/:name`, anyCaller, async (request: HubRequest) => {
      const repo = await open(request);
      return repoInfo(
        hub.distribution,
        repo,
        await hub.repos.head(repo),
        await hub.repos.isPublic(repo.location),
      );
    });

    app.get(`${api}/:owner/:name/revision/:rev`, anyCaller, async (request: HubRequest) => {
      const repo = await open(request);
      const revision = await hub.repos.revision(repo, request.params.rev);
      return repoInfo(hub.distribution, repo, revision, await hub.repos.isPublic(repo.location));
    });

    const tree = async (request: HubRequest, reply: import('fastify').FastifyReply) => {
      const repo = await open(request);
      const revision = await hub.repos.revision(repo, request.params.rev);
      const base = (request.params['*'] ?? '').replace(/\/+$/, '');
      const recursive = flag(request.query.recursive);
      const expand = flag(request.query.expand);
      const listing = treeOf(revision, expand);
      if (!listing.isFolder(base)) throw entryNotFound(base, revision);
      const all = listing.list(base, recursive);
      const after = request.query.cursor
        ? Buffer.from(request.query.cursor, 'base64url').toString('utf8')
        : undefined;
      const from = after === undefined ? 0 : all.findIndex((e) => e.path > after);
      const page = from < 0 ? [] : all.slice(from, from + pageSize);
      const last = page.at(-1);
      if (last && from + pageSize < all.length) {
        const query = new URLSearchParams({
          recursive: String(recursive),
          expand: String(expand),
          cursor: Buffer.from(last.path).toString('base64url'),
        });
        const url = `${request.protocol}://${request.host}${request.url.split('?', 1)[0]}?${query}`;
        reply.header('Link', `<${url}>; rel="next"`);
      }
      return page;
    };
    app.get(`${api}/:owner/:name/tree/:rev`, anyCaller, tree);
    app.get(`${api}/:owner/:name/tree/:rev/*`, anyCaller, tree);

    app.post(`${api}/:owner/:name/paths-info/:rev`, anyCaller, async (request: HubRequest) => {
      const repo = await open(request);
      const revision = await hub.repos.revision(repo, request.params.rev);
      const { paths, expand } = pathsOf(request.body);
      const listing = treeOf(revision, expand);
      return paths.flatMap((path) => listing.entry(path.replace(/\/+$/, '')) ?? []);
    });

    // GET and HEAD (a HEAD of its own, so that it carries the file's Content-Length): the bytes, or a 307.
    app.route({
      method: ['GET', 'HEAD'],
      url: `${files}/:owner/:name/resolve/:rev/*`,
      exposeHeadRoute: false,
      ...anyCaller,
      handler: async (request: HubRequest, reply) => {
        const repo = await open(request);
        const revision = await hub.repos.revision(repo, request.params.rev);
        const path = request.params['*'] ?? '';
        const file = revision.version.files.find((f) => f.path === path);
        if (!file) throw entryNotFound(path, revision);
        const etag = `"${hexOf(file.digest)}"`;
        reply
          .header('X-Repo-Commit', revision.commit)
          .header('X-Linked-Etag', etag)
          .header('X-Linked-Size', String(file.size));
        return sendBlob(hub.distribution, request, reply, {
          repository: repo.repository,
          digest: file.digest,
          size: file.size,
          redirect: options.redirect,
          etag,
        });
      },
    });
  }
}

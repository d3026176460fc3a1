import type { FastifyInstance } from 'fastify';
import { archiveLength, archiveStream, type AssetKind } from '../../assets/index.js';
import { sendBlob } from '../send-blob.js';
import type { AssetRequest, AssetRouteContext } from './assets.js';

const signedIn = { config: { access: 'authenticated' as const } };
/** Reads: anyone, identified when credentials are sent; AccessControl decides per registry (anonymous pulls). */
const anyCaller = { config: { access: 'caller' as const } };
/** A GET that sends bytes, with its own HEAD (same headers, no body). */
const bytesRoute = (url: string) => ({
  method: ['GET', 'HEAD'],
  url,
  exposeHeadRoute: false,
  ...anyCaller,
});

/** A version's files (one, a range of one, or all as a tar), its labels and its lineage. */
export async function assetVersionRoutes(
  app: FastifyInstance,
  base: string,
  kind: AssetKind,
  ctx: AssetRouteContext,
): Promise<void> {
  const { assets } = ctx;
  const read = (request: AssetRequest) => ctx.keyFor(request, kind, 'registries/assets/read');
  const write = (request: AssetRequest) => ctx.keyFor(request, kind, 'registries/assets/write');

  app.get(`${base}/versions/:version/files`, anyCaller, async (request: AssetRequest) => ({
    items: await assets.versions.files(await read(request), request.params.version),
  }));

  // GET and HEAD: the bytes, with Range, ETag = digest. HEAD is routed here rather than derived by
  // Fastify, whose derived HEAD replaces the Content-Length a client sizes its ranges from.
  app.route({
    ...bytesRoute(`${base}/versions/:version/files/*`),
    handler: async (request: AssetRequest, reply) => {
      const key = await read(request);
      const { repository, file } = await assets.versions.file(
        key,
        request.params.version,
        request.params['*'],
      );
      return sendBlob(ctx.distribution, request, reply, {
        repository,
        digest: file.digest,
        size: Number(file.size),
        redirect: ctx.redirect,
      });
    },
  });

  app.route({
    ...bytesRoute(`${base}/versions/:version/archive`),
    handler: async (request: AssetRequest, reply) => {
      const key = await read(request);
      const { repository, files } = await assets.versions.archive(key, request.params.version);
      reply
        .type('application/x-tar')
        .header('Content-Length', archiveLength(files))
        .header('Content-Disposition', `attachment; filename="${key.name}-${request.params.version}.tar"`);
      if (request.method === 'HEAD') return reply.send();
      return reply.send(archiveStream(ctx.distribution, repository, files));
    },
  });

  app.get(`${base}/versions/:version/lineage`, anyCaller, async (request: AssetRequest) =>
    assets.versions.lineage(await read(request), request.params.version, ctx.mayRead(request)),
  );

  app.get(`${base}/labels`, anyCaller, async (request: AssetRequest) => {
    const key = await read(request);
    await assets.assets.get(key);
    return { items: await assets.versions.labels(key) };
  });

  app.get(`${base}/labels/:label`, anyCaller, async (request: AssetRequest) =>
    assets.versions.byLabel(await read(request), request.params.label),
  );

  app.put(`${base}/labels/:label`, signedIn, async (request: AssetRequest) => {
    const body = (request.body ?? {}) as { version?: unknown };
    const version = typeof body.version === 'number' ? String(body.version) : body.version;
    return assets.versions.setLabel(await write(request), request.params.label, version);
  });

  app.delete(`${base}/labels/:label`, signedIn, async (request: AssetRequest, reply) => {
    await assets.versions.deleteLabel(await write(request), request.params.label);
    return reply.code(204).send();
  });
}

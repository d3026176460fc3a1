import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl, Permission, RegistryLocation } from '../../access/index.js';
import {
  assetKinds,
  collectionOf,
  isAssetKind,
  parseAssetListQuery,
  parseLimit,
  type AssetKey,
  type AssetKind,
  type Assets,
} from '../../assets/index.js';
import { AppError } from '../../errors/index.js';
import type { Distribution } from '../../oci/index.js';
import { assetVersionRoutes } from './asset-versions.js';

export interface AssetRoutesOptions {
  assets: Assets;
  distribution: Distribution;
  access: AccessControl;
  /** File downloads answer 307 to the backend's short-lived URL when it has one, as /v2 blob GETs. */
  redirect: boolean;
}

export type AssetParams = { name: string; asset: string; version: string; label: string; '*': string };
export type AssetRequest = FastifyRequest<{
  Params: AssetParams;
  Querystring: Record<string, string | undefined>;
}>;

/** What the asset routes share: the services, and access decided in the access room. */
export interface AssetRouteContext extends AssetRoutesOptions {
  /** The asset a request names, after `permission` was checked on its registry. */
  keyFor(request: AssetRequest, kind: AssetKind, permission: Permission): Promise<AssetKey>;
  authorize(request: FastifyRequest, permission: Permission, where: RegistryLocation): Promise<void>;
  by(request: FastifyRequest): string | null;
}

const signedIn = { config: { access: 'authenticated' as const } };
/** A publish names every file: room for thousands. */
const publishBodyLimit = 8 << 20;

/**
 * `/api/v1/registries/<r>/{models,datasets,environments,components}` and `/api/v1/assets/resolve`:
 * reads need `registries/assets/read`, publishing, labels and metadata `registries/assets/write`,
 * deleting a version `registries/assets/delete`, on the registry, as the OCI paths of the same
 * repositories do.
 */
export async function assetRoutes(app: FastifyInstance, options: AssetRoutesOptions): Promise<void> {
  const { assets, access } = options;
  const authorize = (request: FastifyRequest, permission: Permission, where: RegistryLocation) =>
    access.authorize(request.caller, permission, where);
  const ctx: AssetRouteContext = {
    ...options,
    authorize,
    async keyFor(request, kind, permission) {
      const where = assets.assets.registry(request.params.name);
      await authorize(request, permission, where);
      return assets.assets.key(where.registry, kind, request.params.asset);
    },
    by: (request) => (request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null),
  };

  for (const kind of assetKinds) {
    const base = `/registries/:name/${collectionOf(kind)}`;

    app.get<{ Params: AssetParams; Querystring: Record<string, string | string[] | undefined> }>(
      base,
      signedIn,
      async (request) => {
        const where = assets.assets.registry(request.params.name);
        await authorize(request, 'registries/assets/read', where);
        return assets.assets.list(where.registry, kind, parseAssetListQuery(request.query));
      },
    );

    app.post<{ Params: AssetParams }>(base, signedIn, async (request, reply) => {
      const where = assets.assets.registry(request.params.name);
      await authorize(request, 'registries/assets/write', where);
      const created = await assets.assets.create(where.registry, kind, request.body, ctx.by(request));
      return reply
        .code(201)
        .header('Location', `/api/v1${base.replace(':name', created.registry)}/${created.name}`)
        .send(created);
    });

    app.get(`${base}/:asset`, signedIn, async (request: AssetRequest) =>
      assets.assets.get(await ctx.keyFor(request, kind, 'registries/assets/read')),
    );

    app.patch(`${base}/:asset`, signedIn, async (request: AssetRequest) =>
      assets.assets.update(await ctx.keyFor(request, kind, 'registries/assets/write'), request.body),
    );

    app.get(`${base}/:asset/versions`, signedIn, async (request: AssetRequest) => {
      const key = await ctx.keyFor(request, kind, 'registries/assets/read');
      await assets.assets.get(key);
      return assets.versions.list(key, parseLimit(request.query.limit), request.query.cursor || undefined);
    });

    app.post(
      `${base}/:asset/versions`,
      { ...signedIn, bodyLimit: publishBodyLimit },
      async (request: AssetRequest, reply) => {
        const key = await ctx.keyFor(request, kind, 'registries/assets/write');
        const mayRead = (where: RegistryLocation) =>
          access.allows(request.caller, 'registries/assets/read', where);
        await assets.publisher.publish(key, request.body, ctx.by(request), mayRead);
        const version = await assets.versions.get(
          key,
          String((request.body as { version: unknown }).version),
        );
        return reply
          .code(201)
          .header(
            'Location',
            `/api/v1${base.replace(':name', key.registry)}/${key.name}/versions/${version.version}`,
          )
          .send(version);
      },
    );

    app.get(`${base}/:asset/versions/:version`, signedIn, async (request: AssetRequest) =>
      assets.versions.get(await ctx.keyFor(request, kind, 'registries/assets/read'), request.params.version),
    );

    app.delete(`${base}/:asset/versions/:version`, signedIn, async (request: AssetRequest, reply) => {
      const key = await ctx.keyFor(request, kind, 'registries/assets/delete');
      await assets.versions.delete(key, request.params.version);
      return reply.code(204).send();
    });

    await assetVersionRoutes(app, `${base}/:asset`, kind, ctx);
  }

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/assets/resolve',
    signedIn,
    async (request) => {
      const { uri, registry, kind, namespace } = request.query;
      if (kind !== undefined && !isAssetKind(kind)) {
        throw new AppError('ASSET_INVALID', `kind: one of ${assetKinds.join(', ')}`);
      }
      const resolved = await assets.versions.resolve(uri ?? '', {
        ...(registry ? { registry } : {}),
        ...(kind ? { kind } : {}),
        ...(namespace ? { namespace } : {}),
      });
      await authorize(request, 'registries/assets/read', resolved.location);
      return assets.versions.get(resolved.key, resolved.key.version);
    },
  );
}

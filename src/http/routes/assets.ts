import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DEFAULT_NAMESPACE,
  type AccessControl,
  type Permission,
  type RegistryLocation,
} from '../../access/index.js';
import {
  assetKinds,
  collectionOf,
  isAssetKind,
  parseAssetListQuery,
  parseLimit,
  type AssetKey,
  type AssetKind,
  type Assets,
  type MayRead,
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
  /** May the caller read assets in `where`? For what a response names in other registries. */
  mayRead(request: FastifyRequest): MayRead;
  by(request: FastifyRequest): string | null;
}

const signedIn = { config: { access: 'authenticated' as const } };
/** Reads: anyone, identified when credentials are sent; AccessControl decides per registry (anonymous pulls). */
const anyCaller = { config: { access: 'caller' as const } };
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
  /**
   * The registry a request names, after `permission` was checked on it. A registry that does not
   * exist is checked as one would be that held nothing yet: a caller who could not read it (anyone
   * not signed in, unless granted everywhere) learns no more than of a private one.
   */
  const located = async (request: AssetRequest, permission: Permission): Promise<RegistryLocation> => {
    let where: RegistryLocation;
    try {
      where = assets.assets.registry(request.params.name);
    } catch (err) {
      const name = request.params.name.toLowerCase().slice(0, 64);
      if (err instanceof AppError && err.code === 'REGISTRY_UNKNOWN')
        await authorize(request, permission, { registry: name, namespace: DEFAULT_NAMESPACE });
      throw err;
    }
    await authorize(request, permission, where);
    return where;
  };
  const ctx: AssetRouteContext = {
    ...options,
    authorize,
    async keyFor(request, kind, permission) {
      const where = await located(request, permission);
      return assets.assets.key(where.registry, kind, request.params.asset);
    },
    mayRead: (request) => (where) => access.allows(request.caller, 'registries/assets/read', where),
    by: (request) => (request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null),
  };

  for (const kind of assetKinds) {
    const base = `/registries/:name/${collectionOf(kind)}`;

    app.get<{ Params: AssetParams; Querystring: Record<string, string | string[] | undefined> }>(
      base,
      anyCaller,
      async (request) => {
        const where = await located(request as AssetRequest, 'registries/assets/read');
        return assets.assets.list(where.registry, kind, parseAssetListQuery(request.query));
      },
    );

    app.post(base, signedIn, async (request: AssetRequest, reply) => {
      const where = await located(request, 'registries/assets/write');
      const created = await assets.assets.create(where.registry, kind, request.body, ctx.by(request));
      return reply
        .code(201)
        .header('Location', `/api/v1${base.replace(':name', created.registry)}/${created.name}`)
        .send(created);
    });

    app.get(`${base}/:asset`, anyCaller, async (request: AssetRequest) =>
      assets.assets.get(await ctx.keyFor(request, kind, 'registries/assets/read')),
    );

    app.patch(`${base}/:asset`, signedIn, async (request: AssetRequest) =>
      assets.assets.update(await ctx.keyFor(request, kind, 'registries/assets/write'), request.body),
    );

    app.get(`${base}/:asset/versions`, anyCaller, async (request: AssetRequest) => {
      const key = await ctx.keyFor(request, kind, 'registries/assets/read');
      await assets.assets.get(key);
      return assets.versions.list(key, parseLimit(request.query.limit), request.query.cursor || undefined);
    });

    app.post(
      `${base}/:asset/versions`,
      { ...signedIn, bodyLimit: publishBodyLimit },
      async (request: AssetRequest, reply) => {
        const key = await ctx.keyFor(request, kind, 'registries/assets/write');
        await assets.publisher.publish(key, request.body, ctx.by(request), ctx.mayRead(request));
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

    app.get(`${base}/:asset/versions/:version`, anyCaller, async (request: AssetRequest) =>
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
    anyCaller,
    async (request) => {
      const { uri, registry, kind, namespace } = request.query;
      if (kind !== undefined && !isAssetKind(kind)) {
        throw new AppError('ASSET_INVALID', `kind: one of ${assetKinds.join(', ')}`);
      }
      const resolved = await assets.versions.resolve(
        uri ?? '',
        {
          ...(registry ? { registry } : {}),
          ...(kind ? { kind } : {}),
          ...(namespace ? { namespace } : {}),
        },
        (where) => authorize(request, 'registries/assets/read', where),
      );
      return assets.versions.get(resolved.key, resolved.key.version);
    },
  );
}

import { AppError } from '../errors/index.js';
import type { MetadataDb } from '../db/index.js';
import type { Distribution } from '../oci/index.js';
import { DEFAULT_NAMESPACE, type RegistryLocation } from '../access/index.js';
import { parseAssetAddress, type AssetAddress } from './addresses.js';
import type { AssetRegistries } from './asset-registries.js';
import type { MayRead } from './publisher.js';
import { decodeCursor, encodeCursor } from './asset-list.js';
import {
  assertLabel,
  assertVersion,
  assetRepository,
  LATEST,
  type AssetKey,
  type AssetKind,
} from './kinds.js';
import { removeVersion } from './recorder.js';
import * as labels from './store/labels.js';
import { downstreamOf, upstreamOf, type VersionKey } from './store/lineage.js';
import {
  fileAt,
  filesOf,
  getVersion,
  listVersions,
  versionWithDigestPrefix,
  type FileRow,
  type VersionRow,
} from './store/versions.js';
import {
  fileView,
  versionRef,
  versionView,
  type FileView,
  type VersionRef,
  type VersionView,
} from './views.js';

const isVersionCursor = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string';

/** Versions: show, list, files, labels, lineage, delete, and resolving addresses to them. */
export class VersionService {
  constructor(
    private readonly meta: MetadataDb,
    private readonly distribution: Distribution,
    private readonly registries: AssetRegistries,
  ) {}

  private async row(key: AssetKey, version: string): Promise<VersionRow> {
    const row = await getVersion(this.meta.db, key, assertVersion(version));
    if (!row || row.state !== 'published') {
      throw new AppError('ASSET_VERSION_UNKNOWN', `no version '${version}' of ${key.kind} '${key.name}'`);
    }
    return row;
  }

  private async viewOf(key: AssetKey, row: VersionRow): Promise<VersionView> {
    const v = { ...key, version: row.version };
    const files = await filesOf(this.meta.db, key, row.version);
    const upstream = await upstreamOf(this.meta.db, v);
    const named = (await labels.labelsOf(this.meta.db, key)).filter((l) => l.version === row.version);
    return versionView(
      key,
      row,
      files,
      upstream,
      named.map((l) => l.label),
    );
  }

  async get(key: AssetKey, version: string): Promise<VersionView> {
    return this.viewOf(key, await this.row(key, version));
  }

  async list(
    key: AssetKey,
    limit: number,
    cursor?: string,
  ): Promise<{ items: VersionView[]; next: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, isVersionCursor);
    const rows = await listVersions(
      this.meta.db,
      key,
      limit + 1,
      after && { createdAt: after[0], version: after[1] },
    );
    const page = rows.slice(0, limit);
    const items: VersionView[] = [];
    for (const row of page) items.push(await this.viewOf(key, row));
    const last = page.at(-1);
    return {
      items,
      next: rows.length > limit && last ? encodeCursor([Number(last.created_at), last.version]) : null,
    };
  }

  async files(key: AssetKey, version: string): Promise<FileView[]> {
    await this.row(key, version);
    return (await filesOf(this.meta.db, key, version)).map(fileView);
  }

  /** One file of a version, and the repository its blob is read from. */
  async file(key: AssetKey, version: string, path: string): Promise<{ repository: string; file: FileRow }> {
    await this.row(key, version);
    const file = await fileAt(this.meta.db, key, version, path);
    if (!file)
      throw new AppError('ASSET_FILE_UNKNOWN', `no file '${path.slice(0, 200)}' in version '${version}'`);
    return { repository: assetRepository(key.registry, key.kind, key.name), file };
  }

  /** Every file with a path, in order, for an archive; and the repository to read them from. */
  async archive(key: AssetKey, version: string): Promise<{ repository: string; files: FileRow[] }> {
    await this.row(key, version);
    const files = (await filesOf(this.meta.db, key, version)).filter((f) => f.path !== null);
    return { repository: assetRepository(key.registry, key.kind, key.name), files };
  }

  /** Tombstone a version (its number is never used again) and untag it; its blobs stay for GC. */
  async delete(key: AssetKey, version: string): Promise<void> {
    await this.row(key, version);
    await this.meta.db.transaction().execute((tx) => removeVersion(tx, key, version, Date.now()));
    try {
      await this.distribution.manifests.delete(assetRepository(key.registry, key.kind, key.name), version);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'MANIFEST_UNKNOWN')) throw err;
    }
  }

  async labels(key: AssetKey): Promise<{ label: string; version: string }[]> {
    return labels.labelsOf(this.meta.db, key);
  }

  async setLabel(
    key: AssetKey,
    label: string,
    version: unknown,
  ): Promise<{ label: string; version: string }> {
    assertLabel(label);
    if (label === LATEST)
      throw new AppError('ASSET_LABEL_RESERVED', "'latest' always names the newest version");
    if (typeof version !== 'string') throw new AppError('ASSET_INVALID', 'version: required');
    await this.row(key, version);
    await labels.setLabel(this.meta.db, key, label, version, Date.now());
    return { label, version };
  }

  async deleteLabel(key: AssetKey, label: string): Promise<void> {
    assertLabel(label);
    if (label === LATEST)
      throw new AppError('ASSET_LABEL_RESERVED', "'latest' always names the newest version");
    if (!(await labels.deleteLabel(this.meta.db, key, label))) {
      throw new AppError('NOT_FOUND', `no label '${label}' on ${key.kind} '${key.name}'`);
    }
  }

  /** The version a label names. */
  async byLabel(key: AssetKey, label: string): Promise<VersionView> {
    const version = await labels.labelVersion(this.meta.db, key, assertLabel(label));
    if (version === undefined)
      throw new AppError('ASSET_VERSION_UNKNOWN', `no label '${label}' on ${key.kind} '${key.name}'`);
    return this.get(key, version);
  }

  /**
   * The published version whose manifest digest begins with `prefix` (`sha256:` and at least 40 hex
   * digits, so one version at most in practice), or undefined.
   */
  async byDigestPrefix(key: AssetKey, prefix: string): Promise<VersionView | undefined> {
    if (!/^sha256:[0-9a-f]{40,64}$/.test(prefix)) return undefined;
    const version = await versionWithDigestPrefix(this.meta.db, key, prefix);
    return version === undefined ? undefined : this.get(key, version);
  }

  /** Its links both ways, only to versions in registries the caller may read (`mayRead`). */
  async lineage(
    key: AssetKey,
    version: string,
    mayRead: MayRead,
  ): Promise<{ upstream: VersionRef[]; downstream: VersionRef[] }> {
    await this.row(key, version);
    const v = { ...key, version };
    const readable = new Map<string, boolean>();
    const visible = async (links: VersionKey[]) => {
      const out: VersionRef[] = [];
      for (const link of links) {
        let may = readable.get(link.registry);
        if (may === undefined) {
          const where = this.registries.locate(link.registry);
          may = where !== undefined && (await mayRead(where));
          readable.set(link.registry, may);
        }
        if (may) out.push(versionRef(link));
      }
      return out;
    };
    return {
      upstream: await visible(await upstreamOf(this.meta.db, v)),
      downstream: await visible(await downstreamOf(this.meta.db, v)),
    };
  }

  /**
   * The version an address names, with the registry it is in (for the caller's access check).
   * Without a registry, `defaults.registry`, else the namespace's default registry; without a
   * kind, `defaults.kind`.
   */
  async resolve(
    address: string | AssetAddress,
    defaults: { registry?: string; kind?: AssetKind; namespace?: string },
    /** Asked once the registry is known, before anything about the asset is: may the caller read it? */
    authorize: (where: RegistryLocation) => Promise<void> = async () => {},
  ): Promise<{ key: VersionKey; location: RegistryLocation }> {
    const a = typeof address === 'string' ? parseAssetAddress(address) : address;
    const registryName =
      a.registry ?? defaults.registry ?? this.registries.defaultOf(defaults.namespace ?? 'default');
    if (!registryName)
      throw new AppError('ASSET_ADDRESS_INVALID', 'no registry given and the namespace has no default');
    const location = this.registries.locate(registryName.toLowerCase());
    // A registry that does not exist is checked as an empty one would be: no more is told of it.
    await authorize(
      location ?? { registry: registryName.toLowerCase().slice(0, 64), namespace: DEFAULT_NAMESPACE },
    );
    if (!location) throw new AppError('REGISTRY_UNKNOWN', `no registry named '${registryName.slice(0, 64)}'`);
    const kind = a.kind ?? defaults.kind;
    if (!kind) throw new AppError('ASSET_ADDRESS_INVALID', 'the address names no kind: give one');
    const key: AssetKey = { registry: location.registry, kind, name: a.name };
    const version = a.version ?? (await labels.labelVersion(this.meta.db, key, a.label!));
    if (version === undefined) {
      throw new AppError('ASSET_VERSION_UNKNOWN', `no label '${a.label}' on ${kind} '${a.name}'`);
    }
    await this.row(key, version);
    return { key: { ...key, version }, location };
  }
}

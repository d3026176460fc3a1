import { AppError } from '../errors/index.js';
import type { MetadataDb } from '../db/index.js';
import type { RegistryLocation } from '../access/index.js';
import type { AssetRegistries } from './asset-registries.js';
import { listAssets, type AssetListQuery } from './asset-list.js';
import { assertAssetName, type AssetKey, type AssetKind } from './kinds.js';
import { checkMetadata } from './metadata.js';
import * as assets from './store/assets.js';
import { labelsOf, labelsOfMany } from './store/labels.js';
import { replaceTerms } from './store/terms.js';
import { assetView, type AssetView } from './views.js';

/** Assets as resources: create, show, change, list; and what a registry's deletion needs to know. */
export class AssetService {
  constructor(
    private readonly meta: MetadataDb,
    private readonly registries: AssetRegistries,
  ) {}

  /** The registry named in a path, lowercased, with its namespace; REGISTRY_UNKNOWN otherwise. */
  registry(name: string): RegistryLocation {
    const found = this.registries.locate(name.toLowerCase());
    if (!found) throw new AppError('REGISTRY_UNKNOWN', `no registry named '${name.slice(0, 64)}'`);
    return found;
  }

  /** An asset's key from path parameters, checked (the asset need not exist). */
  key(registry: string, kind: AssetKind, name: string): AssetKey {
    return { registry: this.registry(registry).registry, kind, name: assertAssetName(name) };
  }

  async get(key: AssetKey): Promise<AssetView> {
    const row = await assets.getAsset(this.meta.db, key);
    if (!row)
      throw new AppError('ASSET_UNKNOWN', `no ${key.kind} '${key.name}' in registry '${key.registry}'`);
    return assetView(row, await labelsOf(this.meta.db, key));
  }

  async create(registry: string, kind: AssetKind, body: unknown, by: string | null): Promise<AssetView> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof input.name !== 'string') throw new AppError('ASSET_INVALID', 'name: required');
    const key = this.key(registry, kind, input.name);
    const metadata = checkMetadata(input);
    const now = Date.now();
    const created = await this.meta.db.transaction().execute(async (tx) => {
      const inserted = await assets.insertAsset(tx, {
        ...key,
        description: metadata.description,
        tags: JSON.stringify(metadata.tags),
        properties: JSON.stringify(metadata.properties),
        latest_version: null,
        created_at: now,
        updated_at: now,
        created_by: by,
      });
      if (inserted) {
        await replaceTerms(tx, key, 'tag', metadata.tags);
        await replaceTerms(tx, key, 'property', metadata.properties);
      }
      return inserted;
    });
    if (!created)
      throw new AppError('ASSET_EXISTS', `${kind} '${key.name}' exists in registry '${key.registry}'`);
    return this.get(key);
  }

  /** Change description, tags or properties (each replaced when given). */
  async update(key: AssetKey, body: unknown): Promise<AssetView> {
    await this.get(key);
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const metadata = checkMetadata(input);
    await this.meta.db.transaction().execute(async (tx) => {
      await assets.updateAsset(tx, key, {
        ...(input.description !== undefined ? { description: metadata.description } : {}),
        ...(input.tags !== undefined ? { tags: JSON.stringify(metadata.tags) } : {}),
        ...(input.properties !== undefined ? { properties: JSON.stringify(metadata.properties) } : {}),
        updated_at: Date.now(),
      });
      if (input.tags !== undefined) await replaceTerms(tx, key, 'tag', metadata.tags);
      if (input.properties !== undefined) await replaceTerms(tx, key, 'property', metadata.properties);
    });
    return this.get(key);
  }

  async list(
    registry: string,
    kind: AssetKind,
    query: AssetListQuery,
  ): Promise<{ items: AssetView[]; next: string | null }> {
    const path = this.registry(registry).registry;
    const { rows, next } = await listAssets(this.meta.db, path, kind, query);
    const labels = await labelsOfMany(
      this.meta.db,
      path,
      kind,
      rows.map((r) => r.name),
    );
    return { items: rows.map((row) => assetView(row, labels.get(row.name) ?? [])), next };
  }

  /** How many assets a registry holds (a registry with assets is deleted only by force). */
  countIn(registry: string): Promise<number> {
    return assets.countAssetsIn(this.meta.db, registry.toLowerCase());
  }

  /** Forget a deleted registry's assets (its repositories go with it). */
  async removeRegistry(registry: string): Promise<void> {
    await this.meta.db.transaction().execute((tx) => assets.deleteAssetsIn(tx, registry.toLowerCase()));
  }
}

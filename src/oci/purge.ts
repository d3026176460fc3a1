import type { StoreRouter } from './stores.js';
import type { MetadataDb } from '../db/index.js';
import { deleteUpload, uploadRepository, uploadsCreatedBefore } from './store/uploads.js';

export interface PurgeResult {
  purged: string[];
}

/**
 * Remove uploads untouched for longer than `ageMs`: their bytes in storage and their records.
 * An upload still receiving chunks has a fresh modification time and is left alone.
 */
export async function purgeStaleUploads(
  meta: MetadataDb,
  stores: StoreRouter,
  ageMs: number,
  dryRun: boolean,
): Promise<PurgeResult> {
  const cutoff = Date.now() - ageMs;
  const purged: string[] = [];
  const drivers = [...new Set(stores.all().map((s) => s.driver))];
  for (const storage of drivers) {
    for await (const upload of storage.uploads.list()) {
      if (upload.modified.getTime() >= cutoff) continue;
      purged.push(upload.key);
      if (dryRun) continue;
      await storage.uploads.abort(upload.key);
      await deleteUpload(meta.db, upload.key);
    }
  }
  // Records whose bytes are already gone (a crash between the two deletes, or a start that never wrote).
  for (const id of await uploadsCreatedBefore(meta.db, cutoff)) {
    const repository = await uploadRepository(meta.db, id);
    if (repository !== undefined && (await stores.storeFor(repository).driver.uploads.size(id)) !== null)
      continue;
    if (!purged.includes(id)) purged.push(id);
    if (!dryRun) await deleteUpload(meta.db, id);
  }
  return { purged };
}

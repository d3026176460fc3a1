import type { StorageDriver } from '../storage/index.js';
import type { MetadataDb } from '../db/index.js';
import { deleteUpload, uploadsCreatedBefore } from './store/uploads.js';

export interface PurgeResult {
  purged: string[];
}

/**
 * Remove uploads untouched for longer than `ageMs`: their bytes in storage and their records.
 * An upload still receiving chunks has a fresh modification time and is left alone.
 */
export async function purgeStaleUploads(
  meta: MetadataDb,
  storage: StorageDriver,
  ageMs: number,
  dryRun: boolean,
): Promise<PurgeResult> {
  const cutoff = Date.now() - ageMs;
  const purged: string[] = [];
  for await (const upload of storage.listUploads()) {
    if (upload.modified.getTime() >= cutoff) continue;
    purged.push(upload.key);
    if (dryRun) continue;
    await storage.abortUpload(upload.key);
    await deleteUpload(meta.db, upload.key);
  }
  // Records whose bytes are already gone (a crash between the two deletes, or a start that never wrote).
  for (const id of await uploadsCreatedBefore(meta.db, cutoff)) {
    if ((await storage.uploadSize(id)) !== null) continue;
    if (!purged.includes(id)) purged.push(id);
    if (!dryRun) await deleteUpload(meta.db, id);
  }
  return { purged };
}

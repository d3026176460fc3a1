/** Storage drivers Arca runs on. */
export type StorageKind = 'filesystem' | 's3';

const ALL: readonly StorageKind[] = ['filesystem', 's3'];

/**
 * The storage drivers to test: both by default (s3 on a Ceph RGW the tests start, see
 * ceph-rgw.ts); `ARCA_TEST_STORAGE=filesystem` (comma-separated) restricts.
 */
export function storages(): StorageKind[] {
  const raw = process.env.ARCA_TEST_STORAGE?.trim();
  if (!raw) return [...ALL];
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) {
    if (!ALL.includes(w as StorageKind)) {
      throw new Error(`ARCA_TEST_STORAGE: unknown driver ${JSON.stringify(w)} (known: ${ALL.join(', ')})`);
    }
  }
  return ALL.filter((s) => wanted.includes(s));
}

/** The suffix of a test name for a driver: '' for the filesystem, ', s3' otherwise. */
export function storageLabel(storage: StorageKind): string {
  return storage === 'filesystem' ? '' : `, ${storage}`;
}

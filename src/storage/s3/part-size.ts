/** S3 allows at most 10,000 parts in a multipart upload. */
export const MAX_PARTS = 10_000;
/** S3's smallest part (except the last) and largest part. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/** Parts per doubling: small blobs keep small parts, 10,000 parts still reach beyond 5 TiB. */
const DOUBLING = 800;

/**
 * The size of part `n` (1-based) of an upload: `base` (the `chunksize` key) for the first 800
 * parts, then doubling every 800 parts up to S3's 5 GiB. Every part of an upload in progress has
 * exactly this size, so part boundaries follow from the part number alone (no state to keep).
 * With the 5 MiB minimum, 10,000 parts hold more than 5 TiB; a 100 GiB blob with 10 MiB chunks
 * never needs parts above 80 MiB.
 */
export function partSize(n: number, base: number): number {
  const start = Math.min(Math.max(base, MIN_PART_SIZE), MAX_PART_SIZE);
  return Math.min(start * 2 ** Math.floor((n - 1) / DOUBLING), MAX_PART_SIZE);
}

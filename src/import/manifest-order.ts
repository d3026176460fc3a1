/** A manifest to import and the manifests it names (an index's children). */
export interface PendingManifest {
  digest: string;
  children: string[];
}

/** The digests an index names in `manifests`; [] for anything else (the import validates later). */
export function childDigests(body: Buffer): string[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as { manifests?: unknown };
    if (!Array.isArray(json.manifests)) return [];
    return json.manifests
      .map((m) => (typeof m === 'object' && m !== null ? (m as { digest?: unknown }).digest : undefined))
      .filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}

/**
 * Children before parents, as a registry requires of pushes: an index is accepted only when the
 * manifests it names are there. Content addressing rules out cycles; a guard keeps a malformed
 * tree from recursing forever. Otherwise in the given order.
 */
export function manifestOrder(pending: PendingManifest[]): string[] {
  const byDigest = new Map(pending.map((p) => [p.digest, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: string[] = [];
  const visit = (digest: string) => {
    if (done.has(digest) || visiting.has(digest)) return;
    const manifest = byDigest.get(digest);
    if (!manifest) return;
    visiting.add(digest);
    for (const child of manifest.children) visit(child);
    visiting.delete(digest);
    done.add(digest);
    order.push(digest);
  };
  for (const p of pending) visit(p.digest);
  return order;
}

/** Something the import could not do (error) or chose not to (warning), and where. */
export interface ImportProblem {
  severity: 'error' | 'warning';
  repository?: string;
  /** What in the repository: `blob sha256:…`, `manifest sha256:…`, `tag v1`. */
  item?: string;
  message: string;
}

export interface ItemCount {
  /** Imported by this run (or, on a dry run, that would be). */
  new: number;
  /** Already in Arca. */
  skipped: number;
  failed: number;
}

/** What one repository's import did. */
export interface RepositoryResult {
  name: string;
  /** The repository did not exist in Arca before. */
  created: boolean;
  tags: ItemCount & { conflicts: number };
  manifests: ItemCount;
  /** `copied` of the new ones had their bytes copied; the others were linked to bytes Arca held. */
  blobs: ItemCount & { copied: number; missing: number };
  bytesCopied: number;
  errors: number;
}

/** One line of a dry run: what would be imported. */
export interface PlannedItem {
  repository: string;
  kind: 'blob' | 'manifest' | 'tag';
  /** The digest, or for a tag its name. */
  name: string;
  /** A blob's size, or the digest a tag would point at. */
  detail?: string | number;
}

export interface ImportSummary {
  source: string;
  dryRun: boolean;
  repositories: { total: number; new: number; failed: number };
  tags: ItemCount & { conflicts: number };
  manifests: ItemCount;
  blobs: ItemCount & { copied: number; missing: number };
  bytes: { copied: number; source: number };
  errors: ImportProblem[];
  warnings: ImportProblem[];
  durationMs: number;
  /** On a dry run only: each thing that would be imported. */
  plan?: PlannedItem[];
}

export function itemCount(): ItemCount {
  return { new: 0, skipped: 0, failed: 0 };
}

export function repositoryResult(name: string, created: boolean): RepositoryResult {
  return {
    name,
    created,
    tags: { ...itemCount(), conflicts: 0 },
    manifests: itemCount(),
    blobs: { ...itemCount(), copied: 0, missing: 0 },
    bytesCopied: 0,
    errors: 0,
  };
}

export function emptySummary(source: string, dryRun: boolean): ImportSummary {
  return {
    source,
    dryRun,
    repositories: { total: 0, new: 0, failed: 0 },
    tags: { ...itemCount(), conflicts: 0 },
    manifests: itemCount(),
    blobs: { ...itemCount(), copied: 0, missing: 0 },
    bytes: { copied: 0, source: 0 },
    errors: [],
    warnings: [],
    durationMs: 0,
    ...(dryRun ? { plan: [] } : {}),
  };
}

function add<T extends object>(into: T, from: T): void {
  for (const key of Object.keys(into) as (keyof T)[]) {
    (into[key] as number) += from[key] as number;
  }
}

/** Fold one repository's counts into the summary. */
export function addRepository(summary: ImportSummary, result: RepositoryResult): void {
  summary.repositories.total += 1;
  if (result.created) summary.repositories.new += 1;
  if (result.errors > 0) summary.repositories.failed += 1;
  add(summary.tags, result.tags);
  add(summary.manifests, result.manifests);
  add(summary.blobs, result.blobs);
  summary.bytes.copied += result.bytesCopied;
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function describeProblem(p: ImportProblem): string {
  const where = [p.repository, p.item].filter(Boolean).join(' ');
  return `${p.severity}: ${where ? `${where}: ` : ''}${p.message}`;
}

/** The summary as a few aligned lines, then each error and warning. */
export function renderSummary(s: ImportSummary): string {
  const verb = s.dryRun ? 'would import' : 'new';
  const count = (c: ItemCount) =>
    `${c.new} ${verb}, ${c.skipped} already in Arca${c.failed ? `, ${c.failed} failed` : ''}`;
  const lines = [
    `${s.dryRun ? 'dry run: nothing was written' : 'import finished'} (source: ${s.source}, ${(s.durationMs / 1000).toFixed(1)} s)`,
    `repositories  ${s.repositories.total} (${s.repositories.new} ${s.dryRun ? 'to create' : 'created'}${s.repositories.failed ? `, ${s.repositories.failed} with errors` : ''})`,
    `tags          ${count(s.tags)}${s.tags.conflicts ? `, ${s.tags.conflicts} kept (Arca's tag differs)` : ''}`,
    `manifests     ${count(s.manifests)}`,
    `blobs         ${count(s.blobs)}${s.blobs.missing ? `, ${s.blobs.missing} missing in the source` : ''}${s.dryRun ? '' : ` (${s.blobs.copied} copied, ${s.blobs.new - s.blobs.copied} linked)`}`,
    `bytes         ${formatBytes(s.bytes.copied)} copied, ${formatBytes(s.bytes.source)} in the source's linked blobs`,
    `errors        ${s.errors.length}${s.warnings.length ? `, warnings ${s.warnings.length}` : ''}`,
  ];
  for (const p of [...s.errors, ...s.warnings]) lines.push(`  ${describeProblem(p)}`);
  return `${lines.join('\n')}\n`;
}

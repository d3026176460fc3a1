import {
  describeProblem,
  formatBytes,
  type ImportProblem,
  type PlannedItem,
  type RepositoryResult,
} from './summary.js';

export interface ImportTotals {
  repositories: number;
  /** Blob links, manifests and tags of the source. */
  items: number;
  /** Bytes of the distinct blobs the source links. */
  bytes: number;
}

/** What an import tells whoever watches it. */
export interface ImportReporter {
  started(totals: ImportTotals): void;
  repositoryStarted(name: string, index: number): void;
  progress(delta: { items?: number; bytes?: number }): void;
  problem(problem: ImportProblem): void;
  /** A dry run's item that would be imported. */
  planned(item: PlannedItem): void;
  repositoryFinished(result: RepositoryResult, index: number): void;
  finished(): void;
}

interface Output {
  write(text: string): unknown;
}

export interface ReporterOptions {
  /** Where progress and problems go (stderr). */
  out: Output;
  /** Redraw one progress bar in place (a terminal) rather than write a line per repository. */
  tty: boolean;
  /** Terminal width for the bar. */
  columns?: number;
  /** Where a dry run lists its items; none to leave them to the summary. */
  list?: Output;
  dryRun?: boolean;
}

function repositoryLine(r: RepositoryResult, index: number, total: number, dryRun: boolean): string {
  const parts = [
    `${r.tags.new} tags, ${r.manifests.new} manifests, ${r.blobs.new} blobs ${dryRun ? 'to import' : 'new'}`,
  ];
  const skipped = r.tags.skipped + r.manifests.skipped + r.blobs.skipped;
  parts.push(`${skipped} already in Arca`);
  if (r.bytesCopied > 0) parts.push(`${formatBytes(r.bytesCopied)} copied`);
  if (r.errors > 0) parts.push(`${r.errors} error${r.errors === 1 ? '' : 's'}`);
  return `[${index + 1}/${total}] ${r.name}: ${parts.join('; ')}\n`;
}

function plannedLine(item: PlannedItem): string {
  const detail =
    item.detail === undefined
      ? ''
      : typeof item.detail === 'number'
        ? `  ${formatBytes(item.detail)}`
        : `  -> ${item.detail}`;
  return `would import  ${item.repository}  ${item.kind} ${item.name}${detail}\n`;
}

/** Line-per-repository output for logs and pipes; a redrawn bar on a terminal. */
export function createReporter(opts: ReporterOptions): ImportReporter {
  let totals: ImportTotals = { repositories: 0, items: 0, bytes: 0 };
  let items = 0;
  let bytes = 0;
  let repository = '';
  let repositoryIndex = 0;
  let drawn = false;
  let lastDraw = 0;

  const bar = () => {
    const fraction = totals.bytes > 0 ? bytes / totals.bytes : totals.items > 0 ? items / totals.items : 1;
    const width = 20;
    const filled = Math.min(width, Math.round(fraction * width));
    const text = [
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`,
      `${formatBytes(bytes)} / ${formatBytes(totals.bytes)}`,
      `items ${items}/${totals.items}`,
      `repo ${repositoryIndex + 1}/${totals.repositories} ${repository}`,
    ].join('  ');
    const columns = opts.columns ?? 100;
    return text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
  };
  const draw = (force = false) => {
    if (!opts.tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    opts.out.write(`\r${bar()}\x1b[K`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) opts.out.write('\r\x1b[K');
    drawn = false;
  };

  return {
    started(t) {
      totals = t;
      if (!opts.tty) {
        opts.out.write(
          `importing ${t.repositories} repositories: ${t.items} blob links, manifests and tags; ${formatBytes(t.bytes)} of blobs\n`,
        );
      }
      draw(true);
    },
    repositoryStarted(name, index) {
      repository = name;
      repositoryIndex = index;
      draw(true);
    },
    progress(delta) {
      items += delta.items ?? 0;
      bytes += delta.bytes ?? 0;
      draw();
    },
    problem(problem) {
      clear();
      opts.out.write(`${describeProblem(problem)}\n`);
      draw(true);
    },
    planned(item) {
      if (!opts.list) return;
      // The list may share the terminal with the bar: clear the bar first.
      clear();
      opts.list.write(plannedLine(item));
      draw(true);
    },
    repositoryFinished(result, index) {
      if (!opts.tty) opts.out.write(repositoryLine(result, index, totals.repositories, opts.dryRun ?? false));
      else draw(true);
    },
    finished() {
      clear();
    },
  };
}

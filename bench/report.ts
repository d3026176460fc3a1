import type { MachineLimits } from './machine.js';
import type { Metric } from './phases/index.js';
import type { ResourceUse } from './proctree.js';
import { label, type ServerName } from './servers.js';

/** One phase of one round on one server: everything the JSON keeps. */
export interface PhaseRecord {
  round: number;
  server: ServerName;
  id: string;
  title: string;
  metrics: Metric[];
  use?: ResourceUse;
  errors: string[];
  details?: Record<string, unknown>;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

const ratio = (arca: number, r2: number) => fmt(arca / r2);

/** Rows of (phase title, metric) in the order the phases ran. */
function rows(records: PhaseRecord[]): { title: string; metric: string; higherIsBetter: boolean }[] {
  const seen = new Map<string, { title: string; metric: string; higherIsBetter: boolean }>();
  for (const r of records)
    for (const m of r.metrics) {
      const key = `${r.title}\u0000${m.metric}`;
      if (!seen.has(key))
        seen.set(key, { title: r.title, metric: m.metric, higherIsBetter: m.higherIsBetter });
    }
  return [...seen.values()];
}

function medianOf(
  records: PhaseRecord[],
  server: ServerName,
  title: string,
  pick: (r: PhaseRecord) => number[],
) {
  return median(records.filter((r) => r.server === server && r.title === title).flatMap(pick));
}

export interface SummaryRow {
  phase: string;
  metric: string;
  registry2: number;
  arca: number;
  /** Arca / registry:2. */
  ratio: number;
  better: 'higher' | 'lower';
}

/** Medians per phase and metric over the rounds of each server. */
export function summary(records: PhaseRecord[]): SummaryRow[] {
  return rows(records).map(({ title, metric, higherIsBetter }) => {
    const of = (s: ServerName) =>
      medianOf(records, s, title, (r) => r.metrics.filter((m) => m.metric === metric).map((m) => m.value));
    const registry2 = of('registry2');
    const arca = of('arca');
    return {
      phase: title,
      metric,
      registry2,
      arca,
      ratio: arca / registry2,
      better: higherIsBetter ? 'higher' : 'lower',
    };
  });
}

/** The results table, markdown, ready for bench/RESULTS.md. */
export function resultsTable(records: PhaseRecord[]): string {
  const lines = [
    `| phase | metric | ${label.registry2} | ${label.arca} | ${label.arca}/${label.registry2} | better |`,
    '|---|---|---:|---:|---:|---|',
  ];
  for (const r of summary(records))
    lines.push(
      `| ${r.phase} | ${r.metric} | ${fmt(r.registry2)} | ${fmt(r.arca)} | ${ratio(r.arca, r.registry2)} | ${r.better} |`,
    );
  return lines.join('\n');
}

/**
 * Server CPU seconds and peak RSS per phase (medians), markdown; lower is better for both. With S3
 * storage, also the CPU seconds the gateway spent for each server (the work a server's S3 requests cost).
 */
export function resourceTable(records: PhaseRecord[]): string {
  const backend = records.some((r) => r.use?.backendCpuSeconds !== undefined);
  const extra = backend ? ` S3 CPU s ${label.registry2} | S3 CPU s ${label.arca} | ratio |` : '';
  const lines = [
    `| phase | CPU s ${label.registry2} | CPU s ${label.arca} | ratio | peak RSS MiB ${label.registry2} | peak RSS MiB ${label.arca} | ratio |${extra}`,
    `|---|---:|---:|---:|---:|---:|---:|${backend ? '---:|---:|---:|' : ''}`,
  ];
  const titles = [...new Set(records.map((r) => r.title))];
  for (const title of titles) {
    const cpu = (s: ServerName) => medianOf(records, s, title, (r) => (r.use ? [r.use.cpuSeconds] : []));
    const rss = (s: ServerName) => medianOf(records, s, title, (r) => (r.use ? [r.use.peakRssMiB] : []));
    const s3 = (s: ServerName) =>
      medianOf(records, s, title, (r) =>
        r.use?.backendCpuSeconds !== undefined ? [r.use.backendCpuSeconds] : [],
      );
    const [c2, ca, m2, ma] = [cpu('registry2'), cpu('arca'), rss('registry2'), rss('arca')];
    const row = `| ${title} | ${fmt(c2)} | ${fmt(ca)} | ${ratio(ca, c2)} | ${fmt(m2)} | ${fmt(ma)} | ${ratio(ma, m2)} |`;
    const [b2, ba] = [s3('registry2'), s3('arca')];
    lines.push(backend ? `${row} ${fmt(b2)} | ${fmt(ba)} | ${ratio(ba, b2)} |` : row);
  }
  return lines.join('\n');
}

export function machineTable(m: MachineLimits): string {
  const gib = m.bytes / 2 ** 30;
  const size = gib >= 1 ? `${fmt(gib)} GiB` : `${m.bytes / 2 ** 20} MiB`;
  return [
    '| machine limit | MiB/s |',
    '|---|---:|',
    `| sha256 in Node (${size} in 1 MiB updates) | ${fmt(m.sha256MiBps)} |`,
    `| disk write (${size}, fsync at the end, ${m.storage.fsType}) | ${fmt(m.diskWriteMiBps)} |`,
    `| loopback HTTP (bare Node server → curl, ${size}) | ${fmt(m.loopbackMiBps)} |`,
  ].join('\n');
}

import type { ServerName } from './servers.js';

export interface Measurement {
  round: number;
  server: ServerName;
  phase: string;
  /** Throughput (MB/s or req/s) or latency (ms); `higherIsBetter` says which. */
  metric: string;
  value: number;
  higherIsBetter: boolean;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (n: number) =>
  Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

/** A markdown table: per phase and metric, the median of each server and Arca/registry:2. */
export function table(measurements: Measurement[]): string {
  const keys = [...new Set(measurements.map((m) => `${m.phase}\u0000${m.metric}`))];
  const lines = [
    '| phase | metric | registry:2 | Arca | Arca/registry:2 | better |',
    '|---|---|---:|---:|---:|---|',
  ];
  for (const key of keys) {
    const [phase, metric] = key.split('\u0000') as [string, string];
    const of = (server: ServerName) =>
      median(
        measurements
          .filter((m) => m.phase === phase && m.metric === metric && m.server === server)
          .map((m) => m.value),
      );
    const r2 = of('registry2');
    const arca = of('arca');
    const higher = measurements.find((m) => m.phase === phase && m.metric === metric)!.higherIsBetter;
    lines.push(
      `| ${phase} | ${metric} | ${fmt(r2)} | ${fmt(arca)} | ${fmt(arca / r2)} | ${higher ? 'higher' : 'lower'} |`,
    );
  }
  return lines.join('\n');
}

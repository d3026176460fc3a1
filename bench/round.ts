import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from './options.js';
import { RoundContext } from './phases/context.js';
import type { Phase } from './phases/index.js';
import { fmt, type PhaseRecord } from './report.js';
import type { BenchGateway } from './s3.js';
import { label, serverNames, startServer, type S3Target, type ServerName } from './servers.js';

/** Longest a phase may take (setup included) before the round is given up and its server stopped. */
const phaseTimeout = (o: Options) => (o.quick ? 60 : 600) * 1000 + o.sizes.loadSeconds * 2000;

class PhaseTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeout(`${message} in ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface RoundSetup {
  workDir: string;
  arcaMain: string;
  profileDir?: string;
  profileName: string;
  /** With `--storage s3`: the gateway whose buckets the servers store in. */
  gateway?: BenchGateway;
}

export interface RoundOutcome {
  records: PhaseRecord[];
  failures: string[];
  /** The CPU profile Arca wrote, with --profile. */
  profile?: string;
}

function describe(record: PhaseRecord): string {
  const shown = record.metrics.map((m) => `${fmt(m.value)} ${m.metric}`).join(', ');
  const use = record.use
    ? ` (server ${fmt(record.use.cpuSeconds)} CPU s, ${fmt(record.use.peakRssMiB)} MiB)`
    : '';
  const errors = record.errors.length ? `  ERROR: ${record.errors.join('; ')}` : '';
  return `  ${record.title}: ${shown || '—'}${use}${errors}`;
}

/** One server, one round: start it fresh, run the phases in order, stop it and remove its data. */
export async function runRound(
  name: ServerName,
  round: number,
  phases: Phase[],
  o: Options,
  setup: RoundSetup,
): Promise<RoundOutcome> {
  const t0 = performance.now();
  const records: PhaseRecord[] = [];
  const failures: string[] = [];
  console.log(`round ${round}, ${label[name]}:`);
  let server;
  let bucket: { name: string; target: S3Target } | undefined;
  const removeBucket = async () => {
    if (bucket) await setup.gateway?.remove(bucket.name);
  };
  try {
    bucket = await setup.gateway?.bucket(name, round);
    server = await startServer(name, join(setup.workDir, name), {
      arcaMain: setup.arcaMain,
      profileDir: setup.profileDir,
      profileName: setup.profileName,
      s3: bucket?.target,
    });
  } catch (err) {
    console.log(`  could not start: ${(err as Error).message}`);
    await removeBucket().catch(() => {});
    return { records, failures: [`round ${round} ${label[name]}: start: ${(err as Error).message}`] };
  }
  const ctx = new RoundContext(
    round,
    serverNames.indexOf(name),
    server,
    o.sizes,
    setup.workDir,
    setup.gateway?.pids,
  );
  for (const phase of phases) {
    const record: PhaseRecord = {
      round,
      server: name,
      id: phase.id,
      title: phase.title(o.sizes),
      metrics: [],
      errors: [],
    };
    let timedOut = false;
    try {
      const out = await withTimeout(phase.run(ctx), phaseTimeout(o), `${phase.id} did not finish`);
      record.metrics = out.metrics;
      record.errors = out.errors ?? [];
      record.details = out.details;
    } catch (err) {
      record.errors.push((err as Error).message);
      timedOut = err instanceof PhaseTimeout;
    }
    record.use = ctx.takeUse();
    if (!server.alive()) record.errors.push('the server is no longer running');
    records.push(record);
    for (const e of record.errors) failures.push(`round ${round} ${label[name]} ${phase.id}: ${e}`);
    console.log(describe(record));
    if (!server.alive() || timedOut) break;
  }
  await server.stop();
  // The gateway keeps objects in RAM: empty and remove the bucket before the next round.
  await removeBucket().catch((err: unknown) =>
    failures.push(`round ${round} ${label[name]}: removing bucket: ${(err as Error).message}`),
  );
  const profile =
    setup.profileDir && existsSync(join(setup.profileDir, setup.profileName))
      ? join(setup.profileDir, setup.profileName)
      : undefined;
  console.log(`  (${fmt((performance.now() - t0) / 1000)} s)`);
  return { records, failures, profile };
}

import { Command } from 'commander';
import { configFileFromEnv, loadConfigWithWarnings, type ArcaConfig } from '../config/index.js';
import { openCore, type Core } from '../core.js';
import { GarbageCollector, fsck, type GcReport } from '../oci/index.js';

interface Options {
  config?: string;
  output?: string;
}

/** Open the server's own database and storage, as `arca import` does. */
async function openServerCore(opts: Options, command: string): Promise<{ config: ArcaConfig; core: Core }> {
  const file = opts.config ?? configFileFromEnv(process.env);
  if (file === undefined) {
    throw new Error(
      `${command}: name the configuration the server runs with: --config <file>, or ARCA_CONFIG; nothing was done`,
    );
  }
  const { config, warnings } = loadConfigWithWarnings({ file, env: process.env, checkPaths: true });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  return { config, core: await openCore(config) };
}

function renderGc(report: GcReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    ...report.manifests.map((m) => `manifest ${m.repository}@${m.digest}`),
    ...report.blobs.map((b) => `blob ${b.digest} in ${b.location} (${b.size} bytes)`),
    ...report.stagingObjects.map((s) => `staging object ${s}`),
  ];
  lines.push(
    `${verb} ${report.manifests.length} manifests, ${report.blobs.length} blob copies (${report.bytes} bytes), ${report.stagingObjects.length} staging objects` +
      (report.deferred > 0 ? `; ${report.deferred} left for a later run` : ''),
  );
  return `${lines.join('\n')}\n`;
}

/** `arca gc [--dry-run]`: one garbage collection now, with the server's grace period. */
export function gcCommand(): Command {
  return new Command('gc')
    .description('delete manifests and blobs nothing references any more, older than gc.graceperiod')
    .option('--config <file>', 'the configuration the server runs with (else $ARCA_CONFIG)')
    .option('--dry-run', 'report what would be deleted, and how many bytes; delete nothing')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (opts: Options & { dryRun?: boolean }) => {
      const { config, core } = await openServerCore(opts, 'gc');
      try {
        const collector = new GarbageCollector(core.meta, core.opened.registries, {
          gracePeriodMs: config.gc.graceperiod,
        });
        const report = await collector.run({ dryRun: opts.dryRun ?? false });
        process.stdout.write(
          opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderGc(report),
        );
      } finally {
        await core.close();
      }
    });
}

/** `arca fsck`: every manifest's blobs are in every location that should hold them; exit 2 when not. */
export function fsckCommand(): Command {
  return new Command('fsck')
    .description("check that every manifest's blobs exist in every location that should hold them")
    .option('--config <file>', 'the configuration the server runs with (else $ARCA_CONFIG)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (opts: Options) => {
      const { core } = await openServerCore(opts, 'fsck');
      try {
        const report = await fsck(core.meta, core.opened.registries);
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          for (const p of report.problems)
            process.stdout.write(
              `${p.repository}@${p.manifest}: blob ${p.digest} in ${p.location}: ${p.problem}\n`,
            );
          process.stdout.write(
            `checked ${report.manifests} manifests, ${report.blobsChecked} blob copies: ${report.problems.length} problems, ${report.pendingCopies.length} copies pending replication\n`,
          );
        }
        if (report.problems.length > 0) process.exitCode = 2;
      } finally {
        await core.close();
      }
    });
}

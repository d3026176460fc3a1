import { Command, Option } from 'commander';
import { configFileFromEnv, loadConfigWithWarnings } from '../config/index.js';
import {
  assertSeparate,
  assertSeparateBucket,
  createReporter,
  filesystemSource,
  importRegistry2,
  openArca,
  readRegistry2Storage,
  renderSummary,
  s3Source,
  type SourceTree,
} from '../import/index.js';

interface Registry2Options {
  config?: string;
  root?: string;
  arcaConfig?: string;
  dryRun?: boolean;
  output: 'text' | 'json';
  concurrency: string;
}

/**
 * `arca import registry2 --root DIR | --config registry2.yml --arca-config arca.yml`: copy a
 * registry:2 storage tree into the storage and database Arca's own configuration names (required).
 * Exit code 0 when everything was imported (or already there), 2 when some items failed, 1 when the
 * import could not run.
 */
export function importCommand(): Command {
  const command = new Command('import').description('bring content from another registry into Arca');
  command
    .command('registry2')
    .description(
      'import a registry:2 (CNCF distribution) storage tree: repositories, tags, manifests and blobs; safe to re-run',
    )
    .option('--root <dir>', 'the registry:2 storage root directory (the one holding docker/registry/v2)')
    .option(
      '--config <file>',
      'a registry:2 config file: its storage.filesystem.rootdirectory, or its storage.s3 bucket and rootdirectory, is the source',
    )
    .option(
      '--arca-config <file>',
      "Arca's configuration, the one its server runs with (required; else $ARCA_CONFIG or $REGISTRY_CONFIGURATION_PATH, as for serve)",
    )
    .option('--dry-run', 'list what would be imported and write nothing')
    .option('--concurrency <n>', 'blobs copied at once', '4')
    .addOption(
      new Option('-o, --output <format>', 'summary format').choices(['text', 'json']).default('text'),
    )
    .action(async (opts: Registry2Options) => {
      if ((opts.root === undefined) === (opts.config === undefined)) {
        throw new Error(
          'import registry2: give the source as --root <dir> or --config <registry2.yml>, one of them',
        );
      }
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new Error('import registry2: --concurrency must be an integer from 1 to 64');
      }
      // Without a named configuration the defaults would open (and fill) a new ./data of the
      // current directory, a store no server reads: the import must be told where Arca keeps its data.
      const arcaConfig = opts.arcaConfig ?? configFileFromEnv(process.env);
      if (arcaConfig === undefined) {
        throw new Error(
          'import registry2: name the Arca to import into with --arca-config <file> (the configuration its server runs with) or ARCA_CONFIG; nothing was imported',
        );
      }
      const storage =
        opts.root !== undefined
          ? { driver: 'filesystem' as const, rootdirectory: opts.root }
          : readRegistry2Storage(opts.config!);

      const { config, warnings } = loadConfigWithWarnings({
        file: arcaConfig,
        env: process.env,
        checkPaths: true,
      });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      let source: SourceTree;
      if (storage.driver === 's3') {
        assertSeparateBucket(storage.s3, config);
        source = await s3Source(storage.s3);
      } else {
        source = await filesystemSource(storage.rootdirectory);
        if (source.localRoot) assertSeparate(source.localRoot, config);
      }

      const dryRun = opts.dryRun ?? false;
      const json = opts.output === 'json';
      const target = await openArca(config, dryRun).catch((err: unknown) => {
        source.close?.();
        throw err;
      });
      try {
        const summary = await importRegistry2({
          source,
          distribution: target.distribution,
          dryRun,
          concurrency,
          manifestLimit: config.limits.manifestsize,
          reporter: createReporter({
            out: process.stderr,
            tty: process.stderr.isTTY === true,
            columns: process.stderr.columns,
            list: dryRun && !json ? process.stdout : undefined,
            dryRun,
          }),
        });
        process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
        if (summary.errors.length > 0) process.exitCode = 2;
      } finally {
        source.close?.();
        await target.close();
      }
    });
  return command;
}

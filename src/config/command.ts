import { Command } from 'commander';
import { configJsonSchema } from './json-schema.js';
import { configFileFromEnv, loadConfigWithWarnings } from './load.js';

/**
 * `arca config validate [file]` (exit code 0 and 'configuration OK', or 1 and the errors; the
 * REGISTRY_* and ARCA_* environment applies, as for `arca serve`) and `arca config schema`.
 */
export function configCommand(): Command {
  const config = new Command('config').description('check or describe the configuration');
  config
    .command('validate')
    .description(
      'check a configuration file, with the REGISTRY_*/ARCA_* environment applied, without starting',
    )
    .argument('[file]', 'configuration file (default: $ARCA_CONFIG or $REGISTRY_CONFIGURATION_PATH)')
    .action((file: string | undefined) => {
      try {
        const { warnings } = loadConfigWithWarnings({
          file: file ?? configFileFromEnv(process.env),
          env: process.env,
          checkPaths: true,
        });
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write('configuration OK\n');
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  config
    .command('schema')
    .description('print the JSON Schema of the configuration file')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
  return config;
}

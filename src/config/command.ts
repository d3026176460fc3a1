import { Command } from 'commander';
import { z } from 'zod';
import { loadConfigWithWarnings } from './load.js';
import { fileSchema } from './schema.js';

/** `arca config validate <file>` and `arca config schema`. */
export function configCommand(): Command {
  const config = new Command('config').description('check or describe the configuration');
  config
    .command('validate')
    .description(
      'check a configuration file (with the REGISTRY_*/ARCA_* environment applied) without starting',
    )
    .argument('[file]', 'configuration file')
    .action((file: string | undefined) => {
      try {
        const { warnings } = loadConfigWithWarnings({ file, env: process.env });
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
      const schema = z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' });
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
  return config;
}

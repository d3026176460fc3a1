#!/usr/bin/env -S node --max-semi-space-size=8
import { Command } from 'commander';

/**
 * Each command's module, loaded only when that command runs: `arca model push` needs an HTTP
 * client, not the server, the database drivers or the S3 SDK, and starts in a fraction of the
 * time. Names that one module defines together share its loader; `arca --help` (or an unknown
 * name) loads them all.
 */
type Loader = () => Promise<Command[]>;

const access: Loader = async () => (await import('./access.js')).accessCommands();
const assets: Loader = async () => (await import('./assets/asset-commands.js')).assetCommands();
const gc: Loader = async () => {
  const { gcCommand, fsckCommand } = await import('./gc.js');
  return [gcCommand(), fsckCommand()];
};

const loaders: Record<string, Loader> = {
  serve: async () => [(await import('./serve.js')).serveCommand()],
  config: async () => [(await import('../config/index.js')).configCommand()],
  catalog: async () => [(await import('./catalog.js')).catalogCommand()],
  import: async () => [(await import('./import.js')).importCommand()],
  admin: async () => [(await import('./admin.js')).adminCommand()],
  registry: async () => [(await import('./registry.js')).registryCommand()],
  login: access,
  logout: access,
  whoami: access,
  user: access,
  role: access,
  'service-account': access,
  apikey: access,
  credential: async () => [(await import('./credential.js')).credentialCommand()],
  model: assets,
  dataset: assets,
  environment: assets,
  component: assets,
  job: async () => [(await import('./job.js')).jobCommand()],
  gc,
  fsck: gc,
};

/** The first argument that is not an option: the command's name, if any. */
function commandName(argv: string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

async function main(): Promise<void> {
  const program = new Command('arca')
    .description('Arca: a registry for container images and AI assets')
    .version('0.1.0')
    // `arca --version` only before a command: `arca model push --version 3` is the asset's version.
    .enablePositionalOptions();
  const name = commandName(process.argv);
  const chosen = name !== undefined ? loaders[name] : undefined;
  const wanted = chosen ? [chosen] : [...new Set(Object.values(loaders))];
  const added = new Set<string>();
  for (const commands of await Promise.all(wanted.map((load) => load()))) {
    for (const command of commands) {
      if (added.has(command.name())) continue;
      added.add(command.name());
      program.addCommand(command);
    }
  }
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  process.stderr.write(`arca: ${(err as Error).message}\n`);
  process.exit(1);
});

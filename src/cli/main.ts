#!/usr/bin/env -S node --max-semi-space-size=8
import { Command } from 'commander';
import { configCommand } from '../config/index.js';
import { serveCommand } from './serve.js';
import { catalogCommand } from './catalog.js';
import { accessCommands } from './access.js';
import { credentialCommand } from './credential.js';
import { registryCommand } from './registry.js';
import { importCommand } from './import.js';
import { adminCommand } from './admin.js';
import { assetCommands } from './assets/asset-commands.js';
import { jobCommand } from './job.js';
import { fsckCommand, gcCommand } from './gc.js';

const program = new Command('arca')
  .description('Arca: a registry for container images and AI assets')
  .version('0.1.0')
  // `arca --version` only before a command: `arca model push --version 3` is the asset's version.
  .enablePositionalOptions()
  .addCommand(serveCommand())
  .addCommand(configCommand())
  .addCommand(catalogCommand())
  .addCommand(importCommand())
  .addCommand(adminCommand());
for (const command of [
  registryCommand(),
  ...accessCommands(),
  credentialCommand(),
  ...assetCommands(),
  jobCommand(),
  gcCommand(),
  fsckCommand(),
])
  program.addCommand(command);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`arca: ${(err as Error).message}\n`);
  process.exit(1);
});

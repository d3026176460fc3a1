import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { walkDir } from '../transfer/local-files.js';
import {
  checkAssetUri,
  checkName,
  checkRegistry,
  checkVersion,
  keyValues,
  type AssetKind,
} from './asset-rules.js';
import { publishVersion, type TransferFlags } from './publish-version.js';
import { collect, transferOptions } from './transfer-options.js';

interface PushFlags extends TransferFlags {
  registry: string;
  name: string;
  version: string;
  card?: string;
  description?: string;
  type?: string;
  tag: string[];
  property: string[];
  lineage: string[];
}

/** A card file (the LLMOS model or dataset card), YAML or JSON, as an object. */
export function readCard(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`--card ${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`--card ${file}: expected a mapping (description, metadata, …)`);
  return parsed as Record<string, unknown>;
}

/** `arca <kind> push <dir> --registry r --name n --version v [--card] [--tag k=v]… [--lineage uri]…` */
export function pushCommand(kind: AssetKind): Command {
  const command = new Command('push')
    .description(`publish a folder as a version of a ${kind} (resumable: run it again after an interruption)`)
    .argument('<dir>', 'the folder whose files make the version')
    .requiredOption('-r, --registry <registry>', 'the registry')
    .requiredOption('--name <name>', `the ${kind}'s name`)
    .requiredOption('--version <version>', 'the version to publish (never reused)')
    .option('--card <file>', `the ${kind}'s card (YAML or JSON)`)
    .option('-d, --description <text>')
    .option(
      '--type <type>',
      'the Azure type (custom_model, mlflow_model, triton_model, uri_file, uri_folder, mltable)',
    )
    .option('--tag <key=value>', 'a tag (repeatable)', collect, [])
    .option('--property <key=value>', 'a property (repeatable)', collect, [])
    .option('--lineage <uri>', 'a version this one derives from (repeatable)', collect, []);
  return transferOptions(command, { parallel: 4, chunkMiB: 32 }).action(
    async (dir: string, flags: PushFlags) => {
      checkRegistry(flags.registry);
      checkName(flags.name);
      checkVersion(flags.version);
      const metadata: Record<string, unknown> = {};
      if (flags.description !== undefined) metadata.description = flags.description;
      if (flags.type !== undefined) metadata.type = flags.type;
      const tags = keyValues(flags.tag, '--tag');
      if (tags) metadata.tags = tags;
      const properties = keyValues(flags.property, '--property');
      if (properties) metadata.properties = properties;
      if (flags.card !== undefined) metadata.card = readCard(flags.card);
      if (flags.lineage.length > 0)
        metadata.lineage = flags.lineage.map((u) => checkAssetUri(u, '--lineage'));
      const files = await walkDir(dir);
      await publishVersion(
        {
          kind,
          registry: flags.registry,
          name: flags.name,
          version: flags.version,
          files,
          sourceKey: dir,
          metadata,
        },
        flags,
      );
    },
  );
}

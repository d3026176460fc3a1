import { Command } from 'commander';
import { checkAssetUri, type AssetKind } from './asset-rules.js';
import { readAzureAsset } from './azure-asset-yaml.js';
import { publishVersion, type TransferFlags } from './publish-version.js';
import { collect, transferOptions } from './transfer-options.js';

const azureName: Record<AssetKind, string> = {
  model: 'model',
  dataset: 'data',
  environment: 'environment',
  component: 'component',
};

/** `arca <kind> create --file <azure.yml> --registry r`: Azure ML's asset YAML as it is. */
export function createCommand(kind: AssetKind): Command {
  const command = new Command('create')
    .description(
      `publish a ${kind} version from Azure ML ${azureName[kind]} YAML (its local paths are uploaded)`,
    )
    .requiredOption('-f, --file <path>', `the ${azureName[kind]} YAML`)
    .requiredOption('-r, --registry <registry>', 'the registry')
    .option('--name <name>', 'instead of the name in the file')
    .option('--version <version>', 'instead of the version in the file')
    .option('--lineage <uri>', 'a version this one derives from (repeatable)', collect, []);
  return transferOptions(command, { parallel: 4, chunkMiB: 32 }).action(
    async (
      flags: TransferFlags & {
        file: string;
        registry: string;
        name?: string;
        version?: string;
        lineage: string[];
      },
    ) => {
      const asset = await readAzureAsset(kind, flags.file);
      const metadata = { ...asset.metadata };
      if (flags.lineage.length > 0)
        metadata.lineage = flags.lineage.map((u) => checkAssetUri(u, '--lineage'));
      await publishVersion(
        {
          kind,
          registry: flags.registry,
          name: flags.name ?? asset.name,
          version: flags.version ?? asset.version,
          files: asset.files,
          sourceKey: flags.file,
          metadata,
        },
        flags,
      );
    },
  );
}

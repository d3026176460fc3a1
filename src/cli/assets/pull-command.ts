import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { print } from '../api-client.js';
import { ApiFileSource } from '../transfer/api-file-source.js';
import { pullFiles } from '../transfer/pull-files.js';
import { progressMode, TransferProgress } from '../transfer/transfer-progress.js';
import { resolveVersion, transferHttp, versionPath } from './asset-api.js';
import { checkRegistry, type AssetKind } from './asset-rules.js';
import { interruptible } from './interruptible.js';
import { positive, type TransferFlags } from './publish-version.js';
import { transferOptions } from './transfer-options.js';

/** `arca <kind> pull <uri> <dir>`: resolve the address, fetch every file, verify each by sha256. */
export function pullCommand(kind: AssetKind): Command {
  const command = new Command('pull')
    .description(
      `download a version of a ${kind} into a folder (resumable: run it again after an interruption)`,
    )
    .argument(
      '<uri>',
      'arca://registries/<r>/…/versions/<v>, …/labels/<l>, azureml:…, <name>:<version> or <name>@<label>',
    )
    .argument('<dir>', 'the folder to write to (created if missing); nothing is written outside it')
    .option(
      '-r, --registry <registry>',
      "for short addresses: the registry (default: your namespace's default)",
    );
  return transferOptions(command, { parallel: 8, chunkMiB: 32 }).action(
    async (uri: string, dir: string, flags: TransferFlags & { registry?: string }) => {
      if (flags.registry !== undefined) checkRegistry(flags.registry);
      const parallel = positive(flags.parallel, '--parallel');
      const segmentSize = positive(flags.chunkSize, '--chunk-size') * 1024 * 1024;
      const view = await resolveVersion(flags, uri, kind, flags.registry);
      const files = view.files ?? [];
      const http = transferHttp(flags);
      const source = new ApiFileSource(http, versionPath(view.registry, kind, view.name, view.version));
      const progress = new TransferProgress(
        progressMode(flags.output),
        `pulling ${view.name}:${view.version}`,
      );
      mkdirSync(dir, { recursive: true });
      const started = Date.now();
      const pulled = await interruptible(
        'run the same command again to continue; finished files and ranges are kept',
        (signal) => pullFiles(files, { root: dir, source, progress, parallel, segmentSize, signal }),
      );
      const transfer = { ...pulled, files: files.length, seconds: (Date.now() - started) / 1000 };
      if (flags.output === 'json') return print({ ...view, directory: dir, transfer });
      process.stdout.write(
        `pulled ${view.uri} into ${dir} (${files.length} files, each verified by sha256)\n`,
      );
    },
  );
}

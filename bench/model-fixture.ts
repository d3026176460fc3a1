import { join } from 'node:path';
import type { RunningArca } from '../test/helpers/arca.js';
import { runArca } from '../test/helpers/arca-cli.js';
import { writeTree } from '../test/helpers/asset-files.js';
import { MiB } from './content.js';

export interface BenchModel {
  /** path → size */
  files: Record<string, number>;
  /** path → `sha256:` digest */
  digests: Record<string, string>;
  bytes: number;
}

/**
 * A model folder in `work/model` (a 2 KB config.json and `shards` weight files sharing `totalMiB`),
 * pushed with `arca model push` as `<registry>/<name>:1`.
 */
export async function pushBenchModel(
  arca: RunningArca,
  work: string,
  opts: { totalMiB: number; shards: number; name: string; registry?: string },
): Promise<BenchModel> {
  const model = join(work, 'model');
  const files: Record<string, number> = { 'config.json': 2000 };
  for (let i = 1; i <= opts.shards; i++)
    files[`model-${String(i).padStart(5, '0')}-of-${opts.shards}.safetensors`] = Math.floor(
      (opts.totalMiB / opts.shards) * MiB,
    );
  const digests = writeTree(model, files);
  const registry = opts.registry ?? 'default';
  const push = await runArca(
    ['model', 'push', model, '-r', registry, '--name', opts.name, '--version', '1'],
    {
      env: { ARCA_SERVER: arca.url, XDG_CACHE_HOME: join(work, 'xdg') },
      timeoutMs: 900_000,
    },
  );
  if (push.code !== 0) throw new Error(`push failed: ${push.stderr}`);
  return { files, digests, bytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

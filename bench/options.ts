import { parseArgs } from 'node:util';
import { MiB } from './content.js';
import type { Sizes } from './phases/index.js';
import { serverNames, type ServerName } from './servers.js';

export const usage = `Arca against registry:2 (CNCF distribution), interleaved on loopback and the same disk.

  npm run bench                    full run: 3 rounds per server, registry:2, Arca, registry:2, Arca, …
  npm run bench -- --quick         smoke test: small sizes, 1 round, under a minute; exit 1 on any error

  --rounds N           rounds per server (default 3, quick 1)
  --storage filesystem|s3  where both servers keep blobs (default filesystem); s3 starts one Ceph
                       RGW (TLS, RAM-backed) and gives each server a fresh bucket of it every round
  --only arca|registry2  run one server only
  --phase ID[,ID…]     run only phases whose id starts with one of these (ids: see the list below)
  --profile            start Arca with --cpu-prof, profiles into bench/results/profiles/
  --seconds S          seconds of each manifest load phase (default 10, quick 2)
  --help

Run \`npm run build\` first: Arca is started from dist/.`;

export type BenchStorage = 'filesystem' | 's3';

export interface Options {
  quick: boolean;
  storage: BenchStorage;
  rounds: number;
  servers: ServerName[];
  phases: string[];
  profile: boolean;
  sizes: Sizes;
  help: boolean;
}

const full: Sizes = {
  small: 256 * MiB,
  large: 1024 * MiB,
  chunk: 8 * MiB,
  concurrent: 64,
  concurrentSize: 16 * MiB,
  loadSeconds: 10,
  connections: 32,
  tags: 1000,
  listRequests: 200,
};

const quick: Sizes = {
  small: 16 * MiB,
  large: 32 * MiB,
  chunk: 8 * MiB,
  concurrent: 8,
  concurrentSize: 16 * MiB,
  loadSeconds: 2,
  connections: 32,
  tags: 100,
  listRequests: 50,
};

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      storage: { type: 'string', default: 'filesystem' },
      only: { type: 'string' },
      phase: { type: 'string', multiple: true },
      profile: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const sizes = { ...(values.quick ? quick : full) };
  if (values.seconds !== undefined) {
    sizes.loadSeconds = Number(values.seconds);
    if (!(sizes.loadSeconds >= 1)) throw new Error('--seconds must be at least 1');
  }
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  let servers = [...serverNames];
  if (values.only !== undefined) {
    if (!serverNames.includes(values.only as ServerName))
      throw new Error(`--only must be one of ${serverNames.join(', ')}`);
    servers = [values.only as ServerName];
  }
  const phases = (values.phase ?? []).flatMap((p) => p.split(',')).filter((p) => p !== '');
  if (values.storage !== 'filesystem' && values.storage !== 's3')
    throw new Error('--storage must be filesystem or s3');
  return {
    quick: values.quick,
    storage: values.storage,
    rounds,
    servers,
    phases,
    profile: values.profile,
    sizes,
    help: values.help,
  };
}

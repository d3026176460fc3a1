import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { assembleServer } from '../../src/server.js';
import { makeTempDir } from './tmp.js';

export interface InProcessArca {
  /** The whole app, not listening: call `inject()`. */
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Arca assembled in this process exactly as `arca serve` assembles it (SQLite and a filesystem
 * store in a temporary directory), without a port or background work: route logic in milliseconds,
 * no database server. `env` takes `REGISTRY_*`/`ARCA_*` overrides as the server would. Auth is off
 * unless `auth: 'arca'` (Arca's accounts; `adminPassword` seeds the first administrator).
 */
export async function inProcessArca(
  env: Record<string, string> = {},
  opts: { auth?: 'none' | 'arca'; adminPassword?: string } = {},
): Promise<InProcessArca> {
  const dir = makeTempDir('arca-http-');
  const config = loadConfig({
    env: {
      ARCA_DATADIR: dir.path,
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir.path, 'storage'),
      ...(opts.auth === 'arca' ? {} : { REGISTRY_AUTH: 'none' }),
      ...env,
    },
  });
  const previous = process.env.ARCA_ADMIN_PASSWORD;
  process.env.ARCA_ADMIN_PASSWORD = opts.adminPassword ?? 'in-process-Admin-1';
  try {
    const server = await assembleServer(config, pino({ level: 'silent' }));
    return {
      app: server.app,
      close: async () => {
        await server.close();
        await dir.cleanup();
      },
    };
  } catch (err) {
    await dir.cleanup();
    throw err;
  } finally {
    if (previous === undefined) delete process.env.ARCA_ADMIN_PASSWORD;
    else process.env.ARCA_ADMIN_PASSWORD = previous;
  }
}

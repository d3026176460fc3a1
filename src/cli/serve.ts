import { Command } from 'commander';
import { configFileFromEnv, loadConfigWithWarnings } from '../config/index.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';

/** `arca serve`: run the registry until SIGTERM or SIGINT, then drain and stop. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the registry server')
    .argument('[config]', 'configuration file (registry:2 style YAML)')
    .option('-c, --config <file>', 'configuration file (registry:2 style YAML)')
    .action(async (positional: string | undefined, opts: { config?: string }) => {
      const file = opts.config ?? positional ?? configFileFromEnv(process.env);
      const { config, warnings } = loadConfigWithWarnings({ file, env: process.env, checkPaths: true });
      const log = createLogger(config);
      // Node's own warnings (a library's deprecation notices) as log lines like the rest, not bare stderr text.
      process.removeAllListeners('warning');
      process.on('warning', (w) => log.warn({ warning: w.name }, w.message.replace(/\s+/g, ' ').trim()));
      for (const warning of warnings) log.warn(warning);
      const server = await startServer(config, log);
      log.info({ url: server.url, storage: config.storage.driver }, 'arca is serving');

      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down: draining in-flight requests');
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

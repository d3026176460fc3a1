import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { FIRST_ADMIN, randomPassword, resetPassword } from '../access/index.js';
import { configFileFromEnv, loadConfig, sqliteFileOf } from '../config/index.js';
import { openDatabase } from '../db/index.js';
import { readStdin } from './api-client.js';

/**
 * `arca admin reset-password [USER] [--password-stdin]`: the way back in when an administrator's
 * password is lost. It works on the server's own database (found from the same `--config` and
 * ARCA_* / REGISTRY_* environment as `arca serve`), not through the API, because nobody can sign in.
 */
function resetPasswordCommand(): Command {
  return new Command('reset-password')
    .description(
      "set a user's password on the server's database (offline), enable the account and end its refresh tokens",
    )
    .argument('[user]', 'the user', FIRST_ADMIN)
    .option(
      '-c, --config <file>',
      'the server configuration (default: $ARCA_CONFIG or $REGISTRY_CONFIGURATION_PATH, as for serve)',
    )
    .option('--password-stdin', 'read the new password from stdin (else one is generated and printed once)')
    .action(async (user: string, opts: { config?: string; passwordStdin?: boolean }) => {
      const config = loadConfig({ file: opts.config ?? configFileFromEnv(process.env), env: process.env });
      const file = sqliteFileOf(config.database.url);
      // Opening a missing SQLite file would create an empty database the server never reads.
      if (file !== null && !existsSync(file)) {
        throw new Error(
          `admin reset-password: no database at ${file}: pass the configuration the server runs with (--config or ARCA_CONFIG) or run this where the server runs`,
        );
      }
      const password = opts.passwordStdin ? await readStdin() : randomPassword();
      const meta = await openDatabase(config.database.url).catch((err: unknown) => {
        throw new Error(`database is not usable: ${(err as Error).message}`);
      });
      try {
        await resetPassword(meta.db, user, password);
      } finally {
        await meta.close();
      }
      if (opts.passwordStdin) process.stdout.write(`Password of user "${user}" reset; account enabled.\n`);
      // Shown this once; only its hash is stored.
      else process.stdout.write(`Password of user "${user}" reset to: ${password}\n`);
    });
}

/** `arca admin …`: maintenance done on the server's machine, without a running server. */
export function adminCommand(): Command {
  return new Command('admin')
    .description("maintenance on the server's own database (run where the server runs)")
    .addCommand(resetPasswordCommand());
}

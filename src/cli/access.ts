import type { Command } from 'commander';
import { apiKeyCommand } from './apikey.js';
import { loginCommand, logoutCommand, whoamiCommand } from './login.js';
import { roleCommand } from './role.js';
import { serviceAccountCommand } from './service-account.js';
import { userCommand } from './user.js';

/**
 * `arca login|logout|whoami`, `arca user …`, `arca role …`, `arca service-account …` and
 * `arca apikey …`: accounts and permissions of a running server, through /api/v1.
 */
export function accessCommands(): Command[] {
  return [
    loginCommand(),
    logoutCommand(),
    whoamiCommand(),
    userCommand(),
    roleCommand(),
    serviceAccountCommand(),
    apiKeyCommand(),
  ];
}

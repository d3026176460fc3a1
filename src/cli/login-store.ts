import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `arca login` keeps for one server: the account and a refresh token, never the password. */
export interface StoredLogin {
  username: string;
  refresh_token: string;
}

/** `$XDG_CONFIG_HOME/arca/logins.json` (default `~/.config/arca/logins.json`), mode 0600. */
export function loginFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'arca', 'logins.json');
}

function readAll(): Record<string, StoredLogin> {
  const file = loginFile();
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredLogin>;
  } catch (err) {
    throw new Error(`${file}: unreadable (${(err as Error).message}); remove it and run arca login`);
  }
}

function writeAll(logins: Record<string, StoredLogin>): void {
  const file = loginFile();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readLogin(server: string): StoredLogin | undefined {
  return readAll()[server];
}

export function saveLogin(server: string, login: StoredLogin): void {
  writeAll({ ...readAll(), [server]: login });
}

export function removeLogin(server: string): StoredLogin | undefined {
  const all = readAll();
  const removed = all[server];
  if (removed) {
    delete all[server];
    writeAll(all);
  }
  return removed;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories for tests. Every directory made here is removed by `cleanup()`,
 * and whatever is left when the process exits is removed then, unless ARCA_TEST_KEEP_TMP=1
 * (to look at logs and storage after a failure).
 */
export interface TempDir {
  readonly path: string;
  /** Remove the directory and everything in it (no-op with ARCA_TEST_KEEP_TMP=1). */
  cleanup(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

export function keepTemp(): boolean {
  return process.env.ARCA_TEST_KEEP_TMP === '1';
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (keepTemp()) {
      if (live.size > 0) process.stderr.write(`ARCA_TEST_KEEP_TMP=1: kept ${[...live].join(' ')}\n`);
      return;
    }
    for (const dir of live) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Make a fresh directory under the OS temp dir (name starts with `prefix`). */
export function makeTempDir(prefix = 'arca-test-'): TempDir {
  installExitHook();
  const path = mkdtempSync(join(tmpdir(), prefix));
  live.add(path);
  return { path, cleanup: () => removeTempDir(path) };
}

/**
 * Remove a directory and everything in it (no-op with ARCA_TEST_KEEP_TMP=1): also one that a helper
 * made and left behind, such as a server's data directory after `stop({ keep: true })`.
 */
export async function removeTempDir(path: string): Promise<void> {
  if (keepTemp()) return;
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
  live.delete(path);
}

/** Run `fn` with a fresh temp dir and remove it afterwards (also when `fn` throws). */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix?: string): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    await dir.cleanup();
  }
}

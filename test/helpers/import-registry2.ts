import { REPO_ROOT } from './arca.js';
import { runArca } from './arca-cli.js';
import type { ExecResult } from './exec.js';

/** The JSON summary `arca import registry2 -o json` prints. */
export interface ImportSummary {
  /** What was read: the root directory, or `s3://bucket/root (endpoint)`. */
  source: string;
  repositories: { total: number; new: number; failed: number };
  tags: { new: number; skipped: number; failed: number; conflicts: number };
  manifests: { new: number; skipped: number; failed: number };
  blobs: { new: number; skipped: number; failed: number; copied: number; missing: number };
  bytes: { copied: number; source: number };
  errors: { repository?: string; item?: string; message: string }[];
  warnings: { repository?: string; item?: string; message: string }[];
  plan?: { repository: string; kind: string; name: string }[];
}

/**
 * The built CLI's `arca import registry2 <args>` in its own process, with the environment a server
 * gets (no inherited `REGISTRY_*`/`ARCA_*`) plus `env`.
 */
export function runImport(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return runArca(['import', 'registry2', ...args], {
    cwd: REPO_ROOT,
    env: opts.env,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/** The summary an import printed; throws with its output when it printed none. */
export function summaryOf(result: ExecResult): ImportSummary {
  try {
    return JSON.parse(result.stdout) as ImportSummary;
  } catch {
    throw new Error(
      `import printed no JSON summary (exit ${result.code}):\n${result.stderr}\n${result.stdout}`,
    );
  }
}

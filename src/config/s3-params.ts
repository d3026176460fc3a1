import { ConfigError } from './config-error.js';
import { describeIssue } from './issues.js';
import { s3Schema, type S3StorageConfig } from './schema.js';

/**
 * registry:2's `storage.s3` parameters from another configuration (a registry:2 file being
 * imported), validated and defaulted as Arca's own. `where` prefixes the key paths in messages.
 * Keys written with no value are unset, as registry:2 reads them.
 */
export function parseS3Params(params: Record<string, unknown>, where: string): S3StorageConfig {
  const present = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null));
  const result = s3Schema.safeParse(present, {
    error: (issue) => (issue.input === undefined && issue.code === 'invalid_type' ? 'required' : undefined),
  });
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => describeIssue({ ...i, path: [where, ...i.path] }, new Map())).join('\n'),
    );
  }
  return result.data;
}

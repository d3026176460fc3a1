import { ConfigError } from './config-error.js';
import { describeIssue } from './issues.js';
import { s3Schema, type S3StorageConfig } from './storage-schema.js';

/**
 * registry:2's `storage.s3` parameters from anywhere but Arca's own file (a registry:2 file being
 * imported, a registry's own bucket, a bucket a credential is tested on), validated and defaulted
 * as Arca's own: the one place registry:2's defaults are applied. `where` prefixes the key paths in
 * messages. Keys written with no value are unset, as registry:2 reads them.
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

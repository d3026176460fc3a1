import assert from 'node:assert/strict';
import { isAppError, type AppError } from '../../src/errors/index.js';

/** Catalog entry number `i` at `url`: ten tags and seven regions repeat, for filters to select. */
export function entry(i: number, url: string, extra: Record<string, unknown> = {}) {
  return {
    container_registry_id: `e${i}`,
    container_registry_name: `name-${i}`,
    container_registry_public_url: url,
    container_registry_tags: [`t${i % 10}`],
    container_registry_metadata: { index: i, region: `r${i % 7}`, ...extra },
  };
}

/** A 400 of `code` whose message matches `message`. */
export function refused(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(isAppError(err), `an AppError, not ${String(err)}`);
    const e = err as AppError;
    assert.equal(e.status, 400, e.message);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  };
}

export const values = (n: number, prefix = 'v') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

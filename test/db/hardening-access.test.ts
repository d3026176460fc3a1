import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshDatabase } from '../helpers/catalog-db.js';
import { dialects } from '../helpers/dialects.js';
import { makeTempDir } from '../helpers/tmp.js';
import { testAccessControl } from '../helpers/access-control.js';

for (const dialect of dialects()) {
  test(`hardening 3: pruning removes audit events older than the retention and ended refresh tokens (${dialect})`, async (t) => {
    const { meta, drop } = await freshDatabase(dialect);
    const keys = makeTempDir('arca-prune-keys-');
    try {
      const day = 86_400_000;
      const now = Date.now();
      const access = testAccessControl(meta.db, { kind: 'arca' }, keys.path, {
        audit: { retentionMs: 90 * day, pruneIntervalMs: 3_600_000 },
      });
      // 12 000 events of 100 days ago: more than two batches of the delete.
      const event = (at: number, n: number) => ({
        id: `${String(at).padStart(13, '0')}-${String(n).padStart(6, '0')}-test00`,
        at,
        actor: null,
        actor_kind: null,
        action: 'oci.push',
        resource: null,
        method: 'PUT',
        path: '/v2/x',
        outcome: 'unauthorized',
        status: 401,
        remote: '192.0.2.1',
        request_id: null,
        detail: null,
      });
      const old = Array.from({ length: 12_000 }, (_, i) => event(now - 100 * day + i, i));
      for (let i = 0; i < old.length; i += 500) {
        await meta.db
          .insertInto('access_audit')
          .values(old.slice(i, i + 500))
          .execute();
      }
      await meta.db
        .insertInto('access_audit')
        .values([event(now - 89 * day, 1), event(now, 2)])
        .execute();
      const token = (id: string, expires_at: number, revoked_at: number | null) => ({
        id,
        subject_kind: 'user',
        subject_name: 'u',
        secret_hash: 'x',
        created_at: now - 40 * day,
        expires_at,
        last_used_at: null,
        revoked_at,
      });
      await meta.db
        .insertInto('access_refresh_tokens')
        .values([
          token('expired', now - day, null),
          token('revoked', now + day, now - 1),
          token('live', now + day, null),
        ])
        .execute();
      const removed = await access.prune(now);
      t.diagnostic(
        `hardening 3 (${dialect}): pruned ${removed.audit} events and ${removed.refreshTokens} refresh tokens`,
      );
      assert.deepEqual(removed, { audit: 12_000, refreshTokens: 2 });
      const left = await meta.db.selectFrom('access_audit').select('at').orderBy('at').execute();
      assert.deepEqual(
        left.map((r) => Number(r.at)),
        [now - 89 * day, now],
      );
      const tokens = await meta.db.selectFrom('access_refresh_tokens').select('id').execute();
      assert.deepEqual(
        tokens.map((r) => r.id),
        ['live'],
      );
      await access.close();
    } finally {
      await drop();
      await keys.cleanup();
    }
  });
}

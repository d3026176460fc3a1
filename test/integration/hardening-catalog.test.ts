import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { apiCall, basicAuth, type Answer } from '../helpers/api-client.js';

const adminPassword = 'admin-Secret-0042';
const entries = 300;

/** One call; a server that stops answering fails the test instead of hanging it. */
const call = (
  arca: RunningArca,
  method: string,
  path: string,
  auth: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<Answer> => apiCall(arca.url, method, path, { auth, json: body, timeoutMs });

/** Poll /healthz until stopped; the longest answer, a failed one counting as its timeout. */
function watchHealth(arca: RunningArca): { stop(): Promise<{ worst: number; polls: number }> } {
  let running = true;
  let worst = 0;
  let polls = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await fetch(`${arca.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.text();
        assert.equal(res.status, 200);
      } catch {
        // Frozen: counted as at least the timeout.
      }
      worst = Math.max(worst, performance.now() - started);
      polls++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { worst, polls };
    },
  };
}

for (const dialect of dialects()) {
  describe(`hardening 1: catalog queries cannot freeze the server (${dialect})`, () => {
    let arca: RunningArca;
    let reader: string;

    before(async () => {
      arca = await startArca({
        dialect,
        auth: 'arca',
        env: { ARCA_ADMIN_PASSWORD: adminPassword },
        // maxvalues is set to show the configured limit is the one applied and named.
        config: { catalog: { healthcheck: { interval: 0 }, query: { maxvalues: 2000 } } },
      });
      const admin = basicAuth({ user: 'admin', pass: adminPassword });
      const keys: Record<string, string> = {};
      for (const [name, role] of [
        ['writer', 'Contributor'],
        ['reader', 'Reader'],
      ] as const) {
        const account = await call(arca, 'POST', '/api/v1/service-accounts', admin, { name });
        assert.ok(account.status < 300, JSON.stringify(account.body));
        const assigned = await call(arca, 'POST', '/api/v1/role-assignments', admin, {
          role,
          principal: { kind: 'service-account', name },
          scope: '/',
        });
        assert.ok(assigned.status < 300, JSON.stringify(assigned.body));
        const key = await call(arca, 'POST', `/api/v1/service-accounts/${name}/api-keys`, admin, {
          name: 'k',
          expires_in: 3600,
        });
        assert.ok(key.status < 300, JSON.stringify(key.body));
        keys[name] = `Bearer ${key.body.key as string}`;
      }
      reader = keys.reader!;
      // Entries with long URLs (the schema allows 2,048 characters), eight writes at a time.
      for (let i = 0; i < entries; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, entries - i) }, async (_, j) => {
            const n = i + j;
            const created = await call(arca, 'POST', '/container_registry', keys.writer!, {
              container_registry_id: `reg-${n}`,
              container_registry_name: `registry ${n}`,
              container_registry_public_url: `https://${'a'.repeat(1900)}-${n}.example.com`,
              container_registry_tags: [`t${n % 10}`],
            });
            assert.equal(created.status, 201, JSON.stringify(created.body));
          }),
        );
      }
    });

    after(async () => {
      await arca?.stop();
    });

    test(`hardening 1: a Reader's catastrophic $regex answers fast while /healthz keeps answering (${dialect})`, async (t) => {
      const health = watchHealth(arca);
      const timings: string[] = [];
      try {
        for (const pattern of ['^((.+)+)+Z$', '^(.*){10}Z$']) {
          const filter = { container_registry_public_url: { $regex: pattern } };
          const aios = await call(arca, 'POST', '/container_registries', reader, filter);
          assert.equal(aios.status, 200, JSON.stringify(aios.body));
          assert.deepEqual(aios.body, { success: true, data: [] });
          const api = await call(arca, 'POST', '/api/v1/catalog/query', reader, { filter, limit: 10 });
          assert.equal(api.status, 200, JSON.stringify(api.body));
          assert.deepEqual(api.body.items, []);
          timings.push(`${pattern}: AIOS ${aios.ms.toFixed(0)} ms, /api/v1 ${api.ms.toFixed(0)} ms`);
          assert.ok(aios.ms < 5_000 && api.ms < 5_000, timings.at(-1));
        }
        // Eight at once, as a client hammering the server would.
        const started = performance.now();
        const burst = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            call(arca, 'POST', '/container_registries', reader, {
              container_registry_public_url: { $regex: i % 2 ? '^((.+)+)+Z$' : '^(.*){10}Z$' },
            }),
          ),
        );
        assert.deepEqual(
          burst.map((a) => a.status),
          Array.from({ length: 8 }, () => 200),
        );
        timings.push(`8 at once: ${(performance.now() - started).toFixed(0)} ms`);
        // RE2 still matches: one entry by an anchored pattern, ten by a case-insensitive one.
        const one = await call(arca, 'POST', '/container_registries', reader, {
          container_registry_public_url: { $regex: '^https://a+-42\\.example\\.com$' },
        });
        assert.deepEqual(
          (one.body.data as { container_registry_id: string }[]).map((e) => e.container_registry_id),
          ['reg-42'],
        );
        const ten = await call(arca, 'POST', '/container_registries', reader, {
          container_registry_name: { $regex: '^REGISTRY 1\\d$', $options: 'i' },
        });
        assert.equal((ten.body.data as unknown[]).length, 10);
      } finally {
        const { worst, polls } = await health.stop();
        t.diagnostic(timings.join('; '));
        t.diagnostic(`/healthz: ${polls} polls during the queries, slowest ${worst.toFixed(0)} ms`);
        assert.ok(worst < 500, `/healthz took ${worst.toFixed(0)} ms`);
      }
    });

    test(`hardening 1: 50,000 $in values and a 20,000-branch $or answer 400 naming the limit (${dialect})`, async (t) => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);
      const wide: [string, unknown][] = [
        ['50,000 $in values', { container_registry_public_url: { $in: ids(50_000) } }],
        ['20,000-branch $or', { $or: ids(20_000).map((id) => ({ container_registry_id: id })) }],
        ['50,000 $all tags', { container_registry_tags: { $all: ids(50_000) } }],
      ];
      for (const [what, filter] of wide) {
        const aios = await call(arca, 'POST', '/container_registries', reader, filter);
        assert.equal(aios.status, 400, `${what}: ${JSON.stringify(aios.body).slice(0, 300)}`);
        assert.equal(aios.body.success, false);
        assert.match(
          String(aios.body.error),
          /more than the 2000 one operator may have \(catalog\.query\.maxvalues\)/,
        );
        const api = await call(arca, 'POST', '/api/v1/catalog/query', reader, { filter });
        assert.equal(api.status, 400, what);
        assert.equal(api.body.code, 'CATALOG_QUERY_TOO_EXPENSIVE');
        assert.match(String(api.body.detail), /catalog\.query\.maxvalues/);
        t.diagnostic(`${what}: 400 in ${aios.ms.toFixed(0)} ms (AIOS), ${api.ms.toFixed(0)} ms (/api/v1)`);
      }
      // At the limit it is an answer, not a 500.
      const atLimit = await call(arca, 'POST', '/container_registries', reader, {
        $or: ids(2000).map((id, i) => ({ container_registry_id: i === 1999 ? 'reg-7' : id })),
      });
      assert.equal(atLimit.status, 200, JSON.stringify(atLimit.body).slice(0, 300));
      assert.equal((atLimit.body.data as unknown[]).length, 1);
    });

    test(`hardening 1: a backreference or lookahead $regex is a 400 naming the reason (${dialect})`, async () => {
      const back = await call(arca, 'POST', '/container_registries', reader, {
        container_registry_public_url: { $regex: '^(https)://\\1' },
      });
      assert.equal(back.status, 400);
      assert.match(String(back.body.error), /backreferences are not supported/);
      const ahead = await call(arca, 'POST', '/api/v1/catalog/query', reader, {
        filter: { container_registry_name: { $regex: 'registry (?=1)' } },
      });
      assert.equal(ahead.status, 400);
      assert.equal(ahead.body.code, 'CATALOG_REQUEST_INVALID');
      assert.match(String(ahead.body.detail), /lookahead and lookbehind are not supported/);
    });
  });
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { apiCall } from '../helpers/api-client.js';
import { dialects } from '../helpers/dialects.js';
import { execOk } from '../helpers/exec.js';
import { freePort } from '../helpers/ports.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { tcpServer, type TcpServer } from '../helpers/tcp-server.js';
import { waitFor } from '../helpers/wait-for.js';

/** The reference's onboarding JSON, byte for byte as documented. */
const entryJson = `{
  "container_registry_id": "b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509",
  "container_registry_name": "internal-ai-registry",
  "container_registry_metadata": {
    "environment": "production",
    "owner": "mlops-team",
    "region": "us-west-2"
  },
  "container_registry_tags": [
    "ai",
    "training",
    "internal",
    "fast-pull"
  ],
  "container_registry_public_url": "http://10.13.21.22:32633",
  "container_registry_image_prefix": "10.13.21.22:32633",
  "container_registry_config": {
    "auth_required": true,
    "mirror_enabled": false,
    "storage_backend": "s3",
    "max_layer_size_mb": 500
  },
  "container_registry_storage_info": {
    "storage_type": "s3",
    "storage_size": -1,
    "memory_size": 8192,
    "registry_type": "aios"
  }
}
`;
const example = JSON.parse(entryJson) as Record<string, unknown>;
const exampleId = 'b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509';

type Aios = {
  success: boolean;
  data?: unknown;
  error?: string;
};

/** curl, as the reference documents each call (never through a proxy). */
async function curl(...args: string[]): Promise<{ status: number; body: Aios }> {
  const { stdout } = await execOk('curl', ['-sS', '--noproxy', '*', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as Aios };
}

for (const dialect of dialects()) {
  describe(`container-registry catalog, AIOS API (${dialect})`, () => {
    let arca: RunningArca;
    let tmp: TempDir;
    const url = (path: string) => `${arca.url}${path}`;
    const json = (method: string, path: string, body?: unknown) =>
      apiCall(arca.url, method, path, { json: body });

    before(async () => {
      tmp = makeTempDir('arca-catalog-');
      arca = await startArca({
        dialect,
        config: { catalog: { healthcheck: { interval: 0, timeout: '1s' } } },
      });
    });
    after(async () => {
      await arca?.stop();
      await tmp?.cleanup();
    });

    test('the reference example: create, read back field for field, query, $set, delete (curl)', async () => {
      const file = join(tmp.path, 'entry.json');
      writeFileSync(file, entryJson);
      const created = await curl(
        '-X',
        'POST',
        url('/container_registry'),
        '-H',
        'Content-Type: application/json',
        '-d',
        `@${file}`,
      );
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, {
        success: true,
        data: { message: 'Container registry created', id: exampleId },
      });

      const got = await curl('-X', 'GET', url(`/container_registry/${exampleId}`));
      assert.equal(got.status, 200);
      assert.equal(got.body.success, true);
      // Field for field, in the reference's order.
      assert.equal(JSON.stringify(got.body.data), JSON.stringify(example));

      const queried = await curl(
        '-X',
        'POST',
        url('/container_registries'),
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"container_registry_tags": {"$in": ["ai", "internal"]}}',
      );
      assert.equal(queried.status, 200);
      assert.deepEqual(queried.body, { success: true, data: [example] });

      const put = await curl(
        '-X',
        'PUT',
        url(`/container_registry/${exampleId}`),
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"$set": {"container_registry_name": "updated-name"}}',
      );
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { success: true, data: { message: 'Container registry updated' } });
      const renamed = await curl('-X', 'GET', url(`/container_registry/${exampleId}`));
      assert.deepEqual(renamed.body.data, { ...example, container_registry_name: 'updated-name' });

      const duplicate = await curl(
        '-X',
        'POST',
        url('/container_registry'),
        '-H',
        'Content-Type: application/json',
        '-d',
        `@${file}`,
      );
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.success, false);
      assert.match(duplicate.body.error!, /already exists/);

      const deleted = await curl('-X', 'DELETE', url(`/container_registry/${exampleId}`));
      assert.deepEqual(deleted, {
        status: 200,
        body: { success: true, data: { message: 'Container registry deleted' } },
      });
      const gone = await curl('-X', 'GET', url(`/container_registry/${exampleId}`));
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { success: false, error: `container registry ${exampleId} not found` });
      const again = await curl('-X', 'DELETE', url(`/container_registry/${exampleId}`));
      assert.equal(again.status, 404);
    });

    test('curl -d needs a JSON Content-Type (a form type is a 415); a missing id is generated', async () => {
      const form = await curl(
        '-X',
        'POST',
        url('/container_registry'),
        '-d',
        '{"container_registry_name": "x"}',
      );
      assert.equal(form.status, 415);
      assert.equal(form.body.success, false);
      const res = await curl(
        '-X',
        'POST',
        url('/container_registry'),
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"container_registry_name": "no-id"}',
      );
      assert.equal(res.status, 201);
      const id = (res.body.data as { id: string }).id;
      assert.match(id, /^[0-9a-f-]{36}$/);
      const got = (await (await fetch(url(`/container_registry/${id}`))).json()) as Aios;
      assert.deepEqual(got.data, {
        container_registry_id: id,
        container_registry_name: 'no-id',
        container_registry_metadata: {},
        container_registry_tags: [],
        container_registry_public_url: '',
        container_registry_image_prefix: '',
        container_registry_config: {},
        container_registry_storage_info: {
          storage_type: 'unknown',
          storage_size: -1,
          memory_size: -1,
          registry_type: 'external',
        },
      });
      await json('DELETE', `/container_registry/${id}`);
    });

    test('400s say what is wrong', async () => {
      const cases: [string, string, string | undefined, RegExp][] = [
        ['POST', '/container_registry', '{"container_registry_name": ', /invalid JSON body/],
        ['POST', '/container_registry', '[1]', /must be a JSON object/],
        [
          'POST',
          '/container_registry',
          '{"container_registry_tags": "ai"}',
          /container_registry_tags: .*expected array/,
        ],
        [
          'POST',
          '/container_registry',
          '{"container_registry_storage_info": {"storage_type": "nfs"}}',
          /storage_type/,
        ],
        [
          'POST',
          '/container_registry',
          '{"container_registry_nmae": "x"}',
          /unknown field 'container_registry_nmae'/,
        ],
        ['POST', '/container_registry', undefined, /needs a JSON body/],
        [
          'POST',
          '/container_registries',
          '{"container_registry_tags": {"$inn": ["ai"]}}',
          /unknown operator \$inn/,
        ],
        [
          'POST',
          '/container_registries',
          '{"container_registry_tags": {"$in": "ai"}}',
          /\$in: expected an array/,
        ],
        [
          'POST',
          '/container_registries',
          '{"container_registry_tags": {"$in": ["ai"]}]',
          /invalid JSON body/,
        ],
        [
          'POST',
          '/container_registries',
          '{"filter": {}, "limit": -1}',
          /limit: expected a non-negative integer/,
        ],
        [
          'POST',
          '/container_registries',
          '{"filter": {}, "container_registry_name": "x"}',
          /put the filter under "filter"/,
        ],
        ['POST', '/container_registries', '{"__proto__": {"x": 1}}', /__proto__/],
      ];
      for (const [method, path, body, message] of cases) {
        const res = await fetch(url(path), { method, headers: { 'Content-Type': 'application/json' }, body });
        const answer = (await res.json()) as Aios;
        assert.equal(res.status, 400, `${path} ${body}: ${JSON.stringify(answer)}`);
        assert.equal(answer.success, false);
        assert.match(answer.error!, message, String(body));
      }
      const created = (await json('POST', '/container_registry', { container_registry_name: 'typed' }))
        .body as Aios;
      const id = (created.data as { id: string }).id;
      const wrong = await json('PUT', `/container_registry/${id}`, { $inc: { container_registry_name: 1 } });
      assert.equal(wrong.status, 400);
      assert.match((wrong.body as Aios).error!, /\$inc needs a number there, found string/);
      const unknown = await json('PUT', '/container_registry/nope', {
        $set: { container_registry_name: 'x' },
      });
      assert.equal(unknown.status, 404);
      await json('DELETE', `/container_registry/${id}`);
    });

    test('queries: dotted paths, sorting, projection and pagination (envelope or URL)', async () => {
      for (const [i, region] of ['us-west-2', 'eu-west-1', 'us-east-1', 'us-west-2'].entries()) {
        await json('POST', '/container_registry', {
          container_registry_id: `q${i}`,
          container_registry_name: `query-${i}`,
          container_registry_tags: ['query', i % 2 ? 'odd' : 'even'],
          container_registry_metadata: { region, rank: i },
        });
      }
      const data = async (body: unknown, qs = '') => {
        const res = await json('POST', `/container_registries${qs}`, body);
        assert.equal(res.status, 200);
        return (res.body as Aios).data as Record<string, unknown>[];
      };
      const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.container_registry_id);
      assert.deepEqual(
        ids(
          await data({
            'container_registry_metadata.region': { $regex: '^us-' },
            container_registry_tags: 'query',
          }),
        ),
        ['q0', 'q2', 'q3'],
      );
      assert.deepEqual(
        ids(
          await data({
            filter: { container_registry_tags: 'query' },
            sort: { 'container_registry_metadata.rank': -1 },
            limit: 2,
            skip: 1,
          }),
        ),
        ['q2', 'q1'],
      );
      assert.deepEqual(
        ids(await data({ container_registry_tags: 'odd' }, '?sort=-container_registry_name&limit=1')),
        ['q3'],
      );
      assert.deepEqual(await data({ container_registry_id: 'q1' }, '?projection=container_registry_name'), [
        { container_registry_id: 'q1', container_registry_name: 'query-1' },
      ]);
      const everything = await data(undefined);
      assert.ok(everything.length >= 5, 'an empty body lists everything');
      const conflict = await json('POST', '/container_registries?limit=1', { filter: {}, limit: 2 });
      assert.equal(conflict.status, 400);
      for (let i = 0; i < 4; i++) await json('DELETE', `/container_registry/q${i}`);
    });

    test("Arca's own registry is listed (registry_type aios) and is up", async () => {
      const own = (
        await json('POST', '/container_registries', {
          'container_registry_storage_info.registry_type': 'aios',
        })
      ).body as Aios;
      const entries = own.data as Record<string, unknown>[];
      assert.equal(entries.length, 1);
      const [entry] = entries as {
        container_registry_id: string;
        container_registry_name: string;
        container_registry_public_url: string;
        container_registry_image_prefix: string;
        container_registry_storage_info: Record<string, unknown>;
        container_registry_config: Record<string, unknown>;
      }[];
      assert.equal(entry!.container_registry_name, 'default');
      assert.equal(entry!.container_registry_public_url, arca.url);
      assert.equal(entry!.container_registry_image_prefix, arca.host);
      assert.deepEqual(entry!.container_registry_storage_info, {
        storage_type: 'fs',
        storage_size: -1,
        memory_size: -1,
        registry_type: 'aios',
      });
      assert.equal(entry!.container_registry_config.managed_by, 'arca');
      const health = await fetch(url(`/check_container_health/${entry!.container_registry_id}`));
      assert.equal(health.status, 200);
      const body = (await health.json()) as { success: boolean; data: Record<string, unknown> };
      assert.equal(body.success, true);
      assert.equal(body.data.status, 'up');
      assert.equal(body.data.api_version, 'registry/2.0');
      const refused = await json('PUT', `/container_registry/${entry!.container_registry_id}`, {
        $set: { container_registry_public_url: 'http://x' },
      });
      assert.equal(refused.status, 409);
    });

    describe('health checks', () => {
      let plain: RunningRegistry2;
      let locked: RunningRegistry2;
      let hanging: TcpServer;
      before(async () => {
        [plain, locked, hanging] = await Promise.all([
          startRegistry2(),
          startRegistry2({ htpasswd: { user: 'alice', pass: 'secret-pass' } }),
          tcpServer(), // accepts and never answers
        ]);
      });
      after(async () => {
        await Promise.all([plain?.stop(), locked?.stop(), hanging?.close()]);
      });

      async function onboard(id: string, publicUrl: string) {
        const res = await json('POST', '/container_registry', {
          container_registry_id: id,
          container_registry_name: id,
          container_registry_public_url: publicUrl,
        });
        assert.equal(res.status, 201);
      }
      async function check(id: string) {
        const started = Date.now();
        const res = await fetch(url(`/check_container_health/${id}`));
        const body = (await res.json()) as {
          success: boolean;
          error?: string;
          data: Record<string, unknown>;
        };
        return { status: res.status, body, ms: Date.now() - started };
      }

      test('a live registry:2 is up', async () => {
        await onboard('h-plain', plain.url);
        const { status, body } = await check('h-plain');
        assert.equal(status, 200);
        assert.equal(body.success, true);
        assert.equal(body.data.status, 'up');
        assert.equal(body.data.reachable, true);
        assert.equal(body.data.status_code, 200);
        assert.equal(body.data.reason, 'OK');
        assert.equal(body.data.url, plain.url);
        assert.equal(body.data.api_version, 'registry/2.0');
        assert.equal(typeof body.data.latency_ms, 'number');
        assert.equal(body.data.tls_expires_at, null);
        assert.equal(body.data.error, null);
      });

      test('a registry that wants credentials is up (401 with the API header)', async () => {
        await onboard('h-locked', locked.url);
        const { status, body } = await check('h-locked');
        assert.equal(status, 200);
        assert.equal(body.data.status, 'up');
        assert.equal(body.data.status_code, 401);
        assert.equal(body.data.api_version, 'registry/2.0');
      });

      test('a closed port is down at once', async () => {
        await onboard('h-closed', `http://127.0.0.1:${await freePort()}`);
        const { status, body } = await check('h-closed');
        assert.equal(status, 502);
        assert.equal(body.success, false);
        // Coarse on purpose (hardening 7): a refused port reads like any unreachable one.
        assert.match(body.error!, /^Registry is not reachable at http:\/\/127\.0\.0\.1:\d+: unreachable$/);
        assert.equal(body.data.status, 'down');
        assert.equal(body.data.reachable, false);
        assert.equal(body.data.status_code, null);
      });

      test('a server that never answers is down within the timeout, and the API stays responsive', async () => {
        await onboard('h-hanging', hanging.url);
        const pending = check('h-hanging');
        const started = Date.now();
        const meanwhile = await fetch(url('/container_registry/h-plain'));
        assert.equal(meanwhile.status, 200);
        assert.ok(Date.now() - started < 500, 'other requests are not held up');
        const { status, body, ms } = await pending;
        assert.equal(status, 502);
        assert.equal(body.data.status, 'down');
        assert.equal(body.data.error, 'no answer within 1000 ms');
        assert.ok(ms >= 900 && ms < 3000, `answered after ${ms} ms`);
      });

      test('an HTTP server that is not a registry is down; history is kept', async () => {
        await onboard('h-notregistry', `${arca.url}/healthz`);
        const { status, body } = await check('h-notregistry');
        assert.equal(status, 502);
        assert.equal(body.data.reachable, true);
        assert.match(body.error!, /is down: HTTP 404/);
        const history = (await (await fetch(url('/api/v1/catalog/entries/h-plain/health'))).json()) as {
          latest: Record<string, unknown>;
          history: unknown[];
        };
        assert.equal(history.latest.status, 'up');
        assert.equal(history.history.length, 1);
      });

      test('unknown entries are a 404', async () => {
        const { status, body } = await check('nope');
        assert.equal(status, 404);
        assert.equal(body.success, false);
      });
    });
  });
}

describe('periodic health checks', () => {
  test('run in the background and keep a bounded history', async () => {
    const registry = await startRegistry2();
    const arca = await startArca({
      config: {
        catalog: { healthcheck: { interval: '300ms', timeout: '1s', concurrency: 2, history: '1s' } },
      },
    });
    try {
      await fetch(`${arca.url}/container_registry`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ container_registry_id: 'bg', container_registry_public_url: registry.url }),
      });
      const historyOf = async () =>
        (
          (await (await fetch(`${arca.url}/api/v1/catalog/entries/bg/health?limit=100`)).json()) as {
            history: { status: string; checked_at: string }[];
          }
        ).history;
      const history = await waitFor(historyOf, (h) => h.length >= 3, { timeoutMs: 10_000, intervalMs: 200 });
      assert.ok(history.length >= 3, `checks recorded: ${history.length}`);
      assert.ok(history.every((h) => h.status === 'up'));
      // Pruned to the one-second window (a round every 300 ms): never the whole run.
      await new Promise((r) => setTimeout(r, 2000));
      const recent = await historyOf();
      const oldest = Date.parse(recent.at(-1)!.checked_at);
      assert.ok(Date.now() - oldest < 2_500, `oldest kept check is ${Date.now() - oldest} ms old`);
    } finally {
      await arca.stop();
      await registry.stop();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall, basicAuth, type Problem } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { runArca } from '../helpers/arca-cli.js';
import { dialects } from '../helpers/dialects.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

for (const dialect of dialects()) {
  describe(`container-registry catalog, /api/v1 and the CLI (${dialect})`, () => {
    let arca: RunningArca;
    let registry: RunningRegistry2;
    let tmp: TempDir;
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      apiCall(arca.url, init.method ?? 'GET', `/api/v1/catalog${path}`, { json: init.body });
    const cli = (...args: string[]) => runArca(['catalog', ...args], { env: { ARCA_SERVER: arca.url } });

    before(async () => {
      tmp = makeTempDir('arca-catalog-cli-');
      [arca, registry] = await Promise.all([
        startArca({ dialect, config: { catalog: { healthcheck: { interval: 0, timeout: '1s' } } } }),
        startRegistry2(),
      ]);
    });
    after(async () => {
      await Promise.all([arca?.stop(), registry?.stop()]);
      await tmp?.cleanup();
    });

    test('create, get, patch, list, query, delete; errors are problem+json', async () => {
      const created = await api('/entries', {
        method: 'POST',
        body: { container_registry_name: 'rest', container_registry_tags: ['a'] },
      });
      assert.equal(created.status, 201);
      const entry = created.body;
      const id = entry.container_registry_id as string;
      assert.equal(created.headers.get('location'), `/api/v1/catalog/entries/${id}`);
      assert.deepEqual((await api(`/entries/${id}`)).body, entry);

      const patched = await api(`/entries/${id}`, {
        method: 'PATCH',
        body: {
          $addToSet: { container_registry_tags: 'b' },
          $set: { 'container_registry_metadata.team': 'x' },
        },
      });
      assert.equal(patched.status, 200);
      const after = patched.body;
      assert.deepEqual(after.container_registry_tags, ['a', 'b']);
      assert.deepEqual(after.container_registry_metadata, { team: 'x' });

      const filter = encodeURIComponent(JSON.stringify({ container_registry_tags: { $all: ['a', 'b'] } }));
      const listed = (await api(`/entries?filter=${filter}`)).body;
      assert.deepEqual(listed, { items: [after], skip: 0, limit: 100, next: null });
      const page = (
        await api('/query', { method: 'POST', body: { sort: 'container_registry_name', limit: 1 } })
      ).body as {
        items: { container_registry_name: string }[];
        next: number | null;
      };
      assert.equal(page.items[0]!.container_registry_name, 'default');
      assert.equal(page.next, 1);

      const bad = await api('/query', {
        method: 'POST',
        body: { filter: { container_registry_tags: { $size: 'x' } } },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const problem = bad.body as Problem;
      assert.equal(problem.status, 400);
      assert.equal(problem.code, 'CATALOG_REQUEST_INVALID');
      assert.equal(problem.type, 'urn:arca:error:catalog-request-invalid');
      assert.match(problem.detail, /\$size: expected a non-negative integer/);
      assert.equal(((await api('/entries?limit=5000')).body as Problem).detail, 'limit: at most 1000');
      assert.equal((await api('/query', { method: 'POST', body: { filters: {} } })).status, 400);

      assert.equal((await api(`/entries/${id}`, { method: 'DELETE' })).status, 204);
      const missing = await api(`/entries/${id}`);
      assert.equal(missing.status, 404);
      assert.equal((missing.body as Problem).title, 'container registry not found');
      const nowhere = await api('/nowhere');
      assert.equal(nowhere.status, 404);
      assert.equal(nowhere.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    });

    test('arca catalog create|get|list|update|health|delete', async () => {
      const file = join(tmp.path, 'entry.yml');
      writeFileSync(
        file,
        [
          'container_registry_id: cli-entry',
          'container_registry_name: from-the-cli',
          `container_registry_public_url: ${registry.url}`,
          'container_registry_tags: [ai, cli]',
          'container_registry_storage_info: {storage_type: fs, registry_type: external}',
        ].join('\n'),
      );
      const created = await cli('create', '--file', file);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stdout, 'created cli-entry\n');

      const got = await cli('get', 'cli-entry', '--output', 'json');
      assert.equal(got.code, 0, got.stderr);
      assert.equal(
        (JSON.parse(got.stdout) as { container_registry_name: string }).container_registry_name,
        'from-the-cli',
      );
      const yaml = await cli('get', 'cli-entry');
      assert.match(yaml.stdout, /^container_registry_id: cli-entry$/m);

      const listed = await cli('list', '--filter', '{"container_registry_tags": "cli"}');
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^ID\s+NAME\s+TYPE\s+STORAGE\s+PUBLIC URL\s+TAGS$/);
      assert.match(
        lines[1]!,
        /^cli-entry\s+from-the-cli\s+external\s+fs\s+http:\/\/127\.0\.0\.1:\d+\s+ai,cli$/,
      );
      assert.equal(lines.length, 2);
      const json = await cli(
        'list',
        '--sort',
        '-container_registry_name',
        '--limit',
        '1',
        '--output',
        'json',
      );
      assert.equal(
        (JSON.parse(json.stdout) as { items: { container_registry_id: string }[] }).items[0]!
          .container_registry_id,
        'cli-entry',
      );

      const updated = await cli(
        'update',
        'cli-entry',
        '--set',
        'container_registry_metadata.replicas=3',
        '--set',
        'container_registry_name=renamed',
      );
      assert.equal(updated.code, 0, updated.stderr);
      const after = JSON.parse((await cli('get', 'cli-entry', '-o', 'json')).stdout) as Record<
        string,
        unknown
      >;
      assert.equal(after.container_registry_name, 'renamed');
      assert.deepEqual(after.container_registry_metadata, { replicas: 3 });
      const pulled = await cli(
        'update',
        'cli-entry',
        '{"$pull": {"container_registry_tags": "ai"}}',
        '-o',
        'json',
      );
      assert.deepEqual(
        (JSON.parse(pulled.stdout) as { container_registry_tags: string[] }).container_registry_tags,
        ['cli'],
      );

      const health = await cli('health', 'cli-entry', '-o', 'json');
      assert.equal(health.code, 0, health.stderr);
      assert.equal((JSON.parse(health.stdout) as { status: string }).status, 'up');
      const history = await cli('health', 'cli-entry', '--history');
      assert.match(history.stdout.split('\n')[1]!, /\s+up\s+200\s+/);

      const wrong = await cli('update', 'cli-entry', '{"$inc": {"container_registry_name": 1}}');
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.stderr,
        /^arca: update\.\$inc\.container_registry_name: \$inc needs a number there, found string \(HTTP 400\)$/m,
      );
      const deleted = await cli('delete', 'cli-entry');
      assert.equal(deleted.stdout, 'deleted cli-entry\n');
      const missing = await cli('get', 'cli-entry');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /container registry cli-entry not found \(HTTP 404\)/);
      const unreachable = await runArca(['catalog', 'list', '--server', 'http://127.0.0.1:1']);
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
    });
  });
}

describe('catalog with htpasswd authentication', () => {
  test('callers authenticate as for /v2; the default registry is listed with auth_required', async () => {
    const alice = { user: 'alice', pass: 'secret-pass' };
    const arca = await startArca({ htpasswd: alice });
    try {
      const anonymous = await fetch(`${arca.url}/container_registries`, { method: 'POST' });
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="basic-realm"$/);
      assert.deepEqual(await anonymous.json(), { success: false, error: 'authentication required' });
      const problem = await fetch(`${arca.url}/api/v1/catalog/entries`);
      assert.equal(problem.status, 401);
      assert.equal(problem.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const authorization = basicAuth(alice);
      const listed = await fetch(`${arca.url}/container_registries`, {
        method: 'POST',
        headers: { authorization },
      });
      assert.equal(listed.status, 200);
      const [own] = (
        (await listed.json()) as {
          data: { container_registry_config: Record<string, unknown>; container_registry_id: string }[];
        }
      ).data;
      assert.equal(own!.container_registry_config.auth_required, true);
      // Arca's own /v2/ answers 401 with its API header: up.
      const health = await fetch(`${arca.url}/check_container_health/${own!.container_registry_id}`, {
        headers: { authorization },
      });
      assert.equal(
        ((await health.json()) as { data: { status: string; status_code: number } }).data.status_code,
        401,
      );
      const cli = await runArca(['catalog', 'list', '-o', 'json'], {
        env: { ARCA_SERVER: arca.url, ARCA_USERNAME: alice.user, ARCA_PASSWORD: alice.pass },
      });
      assert.equal(cli.code, 0, cli.stderr);
    } finally {
      await arca.stop();
    }
  });
});

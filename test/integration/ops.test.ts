import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { apiCall } from '../helpers/api-client.js';
import { startArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { makeTempDir } from '../helpers/tmp.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { ARCA_MAIN } from '../helpers/arca.js';
import { waitForExit } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

for (const dialect of dialects()) {
  describe(`operations (${dialect})`, () => {
    test('healthz, readyz, metrics and JSON access logs with request ids', async () => {
      const arca = await startArca({ dialect, config: { log: { level: 'info' } } });
      try {
        assert.deepEqual(await (await fetch(`${arca.url}/healthz`)).json(), { status: 'ok' });
        const ready = await fetch(`${arca.url}/readyz`);
        assert.equal(ready.status, 200);
        assert.deepEqual(await ready.json(), {
          status: 'ok',
          checks: { database: { status: 'ok' }, storage: { status: 'ok' }, registries: { status: 'ok' } },
        });
        const tagged = await fetch(`${arca.url}/v2/none/here/tags/list`, {
          headers: { 'X-Request-Id': 'trace-42' },
        });
        assert.equal(tagged.headers.get('x-request-id'), 'trace-42');
        await tagged.arrayBuffer();
        const data = Buffer.from('metrics blob');
        await fetch(`${arca.url}/v2/ops/m/blobs/uploads/`, { method: 'POST' });
        const metrics = await (await fetch(`${arca.url}/metrics`)).text();
        assert.match(metrics, /arca_http_requests_total\{method="GET",route="tags",status="404"\} 1/);
        assert.match(
          metrics,
          /arca_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="tags"\}/,
        );
        assert.match(metrics, /arca_http_received_bytes_total \d+/);
        assert.match(metrics, /arca_http_sent_bytes_total \d+/);
        assert.match(metrics, /arca_uploads_in_progress 1/);
        assert.ok(data.length > 0);
        const line = arca
          .logs()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.reqId === 'trace-42');
        assert.equal(line?.status, 404);
        assert.equal(line?.url, '/v2/none/here/tags/list');

        // Storage gone: readiness fails and says why; liveness does not.
        const root = join(arca.dataDir, 'storage');
        rmSync(root, { recursive: true, force: true });
        writeFileSync(root, 'not a directory');
        const broken = await fetch(`${arca.url}/readyz`);
        assert.equal(broken.status, 503);
        const body = (await broken.json()) as { checks: { storage: { status: string; error: string } } };
        assert.equal(body.checks.storage.status, 'error');
        assert.ok(body.checks.storage.error.length > 0);
        assert.ok(
          !body.checks.storage.error.includes(arca.dataDir),
          `no host path: ${body.checks.storage.error}`,
        );
        assert.equal((await fetch(`${arca.url}/healthz`)).status, 200);
      } finally {
        await arca.stop();
      }
    });

    test('SIGTERM lets an in-flight upload finish, then the process exits cleanly', async () => {
      const arca = await startArca({ dialect });
      try {
        const start = await fetch(`${arca.url}/v2/ops/drain/blobs/uploads/`, { method: 'POST' });
        const location = start.headers.get('location')!;
        const body = new PassThrough();
        const response = new Promise<number>((resolve, reject) => {
          const req = request(
            new URL(location, arca.url),
            { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          body.pipe(req);
        });
        body.write(Buffer.alloc(64 * 1024, 1));
        await new Promise((r) => setTimeout(r, 200));
        arca.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        body.end(Buffer.alloc(64 * 1024, 2));
        assert.equal(await response, 202);
        await waitForExit(arca.process);
        assert.equal(arca.process.exitCode, 0);
      } finally {
        await arca.stop();
      }
    });

    test('abandoned uploads are purged after storage.maintenance.uploadpurging.age', async () => {
      const arca = await startArca({
        dialect,
        config: { storage: { maintenance: { uploadpurging: { enabled: true, age: '1s', interval: '1s' } } } },
      });
      try {
        const start = await fetch(`${arca.url}/v2/ops/purge/blobs/uploads/`, { method: 'POST' });
        const location = new URL(start.headers.get('location')!, arca.url);
        await fetch(location, { method: 'PATCH', body: 'some bytes' });
        assert.equal((await fetch(location)).status, 204);
        const status = await waitFor(
          async () => (await fetch(location)).status,
          (s) => s !== 204,
          { timeoutMs: 10_000, intervalMs: 250 },
        );
        assert.equal(status, 404);
      } finally {
        await arca.stop();
      }
    });

    test('deletes are refused with 405 UNSUPPORTED unless storage.delete.enabled', async () => {
      const arca = await startArca({ dialect, config: { storage: { delete: { enabled: false } } } });
      try {
        const res = await fetch(`${arca.url}/v2/ops/x/manifests/latest`, { method: 'DELETE' });
        assert.equal(res.status, 405);
        assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNSUPPORTED');
      } finally {
        await arca.stop();
      }
    });
  });
}

describe('TLS', () => {
  test('http.tls.certificate and key serve the API over HTTPS', async () => {
    const dir = makeTempDir('arca-tls-');
    try {
      const certificate = await selfSignedCertificate(dir.path);
      const arca = await startArca({ tls: certificate });
      try {
        assert.match(arca.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const answer = await apiCall(arca.url, 'GET', '/v2/', { ca: certificate.cert });
        assert.equal(answer.status, 200);
      } finally {
        await arca.stop();
      }
    } finally {
      await dir.cleanup();
    }
  });
});

describe('start-up configuration errors', () => {
  test('an unknown or wrong key stops start-up with a message naming it', async () => {
    const dir = makeTempDir('arca-cfg-');
    try {
      const file = join(dir.path, 'bad.yml');
      writeFileSync(file, 'version: 0.1\nstorage:\n  filesystem:\n    rootdir: /tmp/x\n');
      const bad = await exec(process.execPath, [ARCA_MAIN, 'serve', '--config', file], { timeoutMs: 20_000 });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /unknown key 'storage\.filesystem\.rootdir'/);
      const env = { ...process.env, REGISTRY_HTTP_ADDR: 'not-an-address' };
      const wrong = await exec(process.execPath, [ARCA_MAIN, 'config', 'validate'], {
        env,
        timeoutMs: 20_000,
      });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /REGISTRY_HTTP_ADDR \(http\.addr\)/);
      writeFileSync(file, 'version: 0.1\nhttp: {addr: "127.0.0.1:0"}\nstorage: {delete: {enabled: true}}\n');
      const ok = await exec(process.execPath, [ARCA_MAIN, 'config', 'validate', file], { timeoutMs: 20_000 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /configuration OK/);
    } finally {
      await dir.cleanup();
    }
  });
});

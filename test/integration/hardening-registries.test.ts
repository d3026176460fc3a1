import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall, type Answer } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import type { ExecResult } from '../helpers/exec.js';
import { storages } from '../helpers/storages.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { sha256 } from '../helpers/images.js';
import { pushBlob } from '../helpers/oci-push.js';
import { arcaCli } from '../helpers/arca-cli.js';

const adminPassword = 'hardening-registries-1';
const admin = { user: 'admin', pass: adminPassword };

const call = (base: string, method: string, path: string, body?: unknown): Promise<Answer> =>
  apiCall(base, method, path, { auth: admin, json: body });

describe('registries: filesystem backends only where the operator allows', () => {
  let arca: RunningArca;
  let allowed: string;
  const api = (method: string, path: string, body?: unknown) => call(arca.url, method, path, body);
  const onFilesystem = (name: string, rootdirectory: string) =>
    api('POST', '/api/v1/registries', { name, backend: { filesystem: { rootdirectory } } });

  before(async () => {
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
    // The default allowed root: <datadir>/registries.
    allowed = join(arca.dataDir, 'registries');
    mkdirSync(allowed, { recursive: true });
  });
  after(async () => {
    await arca?.stop();
  });

  /** A refusal: 400 REGISTRY_INVALID in problem+json, naming the rule, echoing none of `hidden`. */
  function assertRefused(answer: Answer, hidden: string[]): void {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(answer.body.code, 'REGISTRY_INVALID');
    const detail = String(answer.body.detail);
    assert.match(detail, /^backend\.filesystem\.rootdirectory: must /);
    for (const h of hidden) assert.ok(!detail.includes(h), `the refusal echoes ${h}: ${detail}`);
  }

  test('hardening 6: a backend inside the signing keys or /etc is refused, and nothing is created there', async () => {
    const keys = join(arca.dataDir, 'keys');
    const before = readdirSync(keys).sort();
    assertRefused(await onFilesystem('inkeys', join(keys, 'evil')), [keys]);
    assert.deepEqual(readdirSync(keys).sort(), before);
    assert.ok(!existsSync(join(keys, 'evil')));

    assertRefused(await onFilesystem('inetc', '/etc/arca-hardening-6'), ['/etc']);
    assert.ok(!existsSync('/etc/arca-hardening-6'));
    assertRefused(await onFilesystem('atroot', '/'), []);
    assertRefused(await onFilesystem('relative', 'registries/x'), []);

    const listed = await api('GET', '/api/v1/registries');
    const names = (listed.body.items as { name: string }[]).map((r) => r.name);
    for (const name of ['inkeys', 'inetc', 'atroot', 'relative']) assert.ok(!names.includes(name));
  });

  test("hardening 6: '..' and a symbolic link leading out of the allowed root are refused", async () => {
    assertRefused(await onFilesystem('dotdot', join(allowed, '..', 'keys', 'x')), [
      join(arca.dataDir, 'keys'),
    ]);
    assertRefused(await onFilesystem('dotdot2', `${allowed}/team/../../../../etc/x`), ['/etc']);

    symlinkSync('/etc', join(allowed, 'to-etc'));
    symlinkSync(join(arca.dataDir, 'keys'), join(allowed, 'to-keys'));
    assertRefused(await onFilesystem('linketc', join(allowed, 'to-etc', 'arca-hardening-6')), ['/etc']);
    assertRefused(await onFilesystem('linkkeys', join(allowed, 'to-keys')), [join(arca.dataDir, 'keys')]);
    assert.ok(!existsSync('/etc/arca-hardening-6'));
  });

  test('hardening 6: an allowed path works; another registry may not overlap it', async () => {
    const root = join(allowed, 'team');
    const created = await onFilesystem('fsteam', root);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'Active', String(created.body.state_reason));

    // A blob pushed to it lands under its root.
    const data = Buffer.from('hardening 6: bytes of an allowed filesystem backend');
    const digest = await pushBlob(arca.url, 'fsteam/app', data, admin);
    assert.ok(existsSync(join(root, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7))));

    // Inside it, or around it: one's forced delete would remove the other's bytes.
    assertRefused(await onFilesystem('nested', join(root, 'inner')), [root]);
    assertRefused(await onFilesystem('around', allowed), [allowed + '/']);
    assertRefused(await onFilesystem('same', `${allowed}/./team/`), [root]);
  });

  test('hardening 6: a probe that fails says what is wrong without host paths', async () => {
    writeFileSync(join(allowed, 'a-file'), 'not a directory');
    const created = await onFilesystem('blocked', join(allowed, 'a-file', 'store'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'Error');
    const reason = String(created.body.state_reason);
    assert.match(reason, /^backend: the directory cannot be created or written: /);
    assert.ok(!/\//.test(reason), `the reason names a path: ${reason}`);
    assert.ok(!/E[A-Z]{3,}/.test(reason), `the reason echoes an errno: ${reason}`);
  });
});

after(stopSharedCephRgw);

for (const dialect of dialects())
  describe(
    `registries: nothing dangles when a credential goes (Ceph RGW, a DATA credential, ${dialect})`,
    { skip: !storages().includes('s3') && 'S3 not selected' },
    () => {
      let arca: RunningArca;
      let rgw: CephRgw;
      let work: TempDir;
      let entryId: string;
      const api = (method: string, path: string, body?: unknown) => call(arca.url, method, path, body);
      const cli = (args: string[]): Promise<ExecResult> =>
        arcaCli(
          { server: arca.url, username: 'admin', password: adminPassword, configHome: work.path },
          args,
        );
      const data = Buffer.from('hardening 17: a blob in a bucket whose keys are about to go');
      const digest = sha256(data);

      before(async () => {
        work = makeTempDir('arca-hardening-registries-');
        rgw = await sharedCephRgw();
        arca = await startArca({
          dialect,
          auth: 'arca',
          env: { ARCA_ADMIN_PASSWORD: adminPassword, ...rgw.serverEnv() },
        });
        const payload = { access_key_id: rgw.accessKey, access_key: rgw.secretKey, endpoint: rgw.endpoint };
        for (const name of ['bucketkeys', 'spare']) {
          const set = await api('PUT', `/api/v1/credentials/${name}`, { type: 'DATA', payload });
          assert.equal(set.status, 201, JSON.stringify(set.body));
        }
        const bucket = bucketName('held');
        await rgw.createBucket(bucket);
        const created = await api('POST', '/api/v1/registries', {
          name: 'held',
          backend: { s3: { endpoint: rgw.endpoint, bucket, credential: 'bucketkeys' } },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(created.body.state, 'Active', String(created.body.state_reason));
        // A catalog entry names the same credential (in another case: names ignore case).
        const entry = await api('POST', '/container_registry', {
          container_registry_name: 'uses-bucketkeys',
          container_registry_public_url: 'https://registry.invalid',
          container_registry_config: { credential: 'BucketKeys' },
        });
        assert.equal(entry.status, 201, JSON.stringify(entry.body));
        entryId = (entry.body.data as { id: string }).id;
        assert.equal(await pushBlob(arca.url, 'held/app', data, admin), digest);
      });
      after(async () => {
        await arca?.stop();
        await work?.cleanup();
      });

      test('hardening 17: deleting a credential a registry and a catalog entry use is refused, naming both', async () => {
        const refused = await api('DELETE', '/api/v1/credentials/bucketkeys');
        assert.equal(refused.status, 409, JSON.stringify(refused.body));
        assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(refused.body.code, 'CREDENTIAL_IN_USE');
        const detail = String(refused.body.detail);
        assert.match(detail, /registry 'held'/);
        assert.ok(detail.includes(`catalog entry '${entryId}'`), detail);

        const viaCli = await cli(['credential', 'delete', 'bucketkeys']);
        assert.notEqual(viaCli.code, 0);
        assert.match(viaCli.stderr, /registry 'held'/);

        // Nothing changed: the credential is there, the registry Active, its blob readable.
        assert.equal((await api('GET', '/api/v1/credentials/bucketkeys')).status, 200);
        assert.equal((await api('GET', '/api/v1/registries/held')).body.state, 'Active');
        const blob = await apiCall(arca.url, 'GET', `/v2/held/app/blobs/${digest}`, { auth: admin });
        assert.ok([200, 307].includes(blob.status), String(blob.status));
        // One nothing uses goes.
        assert.equal((await api('DELETE', '/api/v1/credentials/spare')).status, 204);
      });

      test('hardening 17: replacing the credential a registry uses takes effect at once (no stale driver)', async () => {
        const payload = (secret: string) => ({
          type: 'DATA',
          payload: { access_key_id: rgw.accessKey, access_key: secret, endpoint: rgw.endpoint },
        });
        const wrong = await api('PUT', '/api/v1/credentials/bucketkeys', payload('not-the-secret-key'));
        assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
        const refused = await api('GET', '/api/v1/registries/held');
        assert.equal(refused.body.state, 'Error');
        assert.match(String(refused.body.state_reason), /credentials refused/);
        assert.equal(
          (await api('PUT', '/api/v1/credentials/bucketkeys', payload(rgw.secretKey))).status,
          200,
        );
        assert.equal((await api('GET', '/api/v1/registries/held')).body.state, 'Active');
      });

      test('hardening 17: a forced delete shows the registry in Error at once and /readyz 503 naming it', async () => {
        const ready = await fetch(`${arca.url}/readyz`);
        assert.equal(ready.status, 200, await ready.text());

        const forced = await cli(['credential', 'delete', 'bucketkeys', '--force']);
        assert.equal(forced.code, 0, forced.stderr);
        assert.equal((await api('GET', '/api/v1/credentials/bucketkeys')).status, 404);

        // At once: no probe round or refresh interval waited for.
        const shown = await api('GET', '/api/v1/registries/held');
        assert.equal(shown.body.state, 'Error');
        assert.match(String(shown.body.state_reason), /credential 'bucketkeys' does not exist/);

        const notReady = await fetch(`${arca.url}/readyz`);
        const body = (await notReady.json()) as {
          checks: Record<string, { status: string; error?: string }>;
        };
        assert.equal(notReady.status, 503);
        assert.equal(body.checks.registries?.status, 'error');
        assert.match(String(body.checks.registries?.error), /\bheld\b/);
        assert.equal(body.checks.database?.status, 'ok');

        // Its content is unavailable, as its state says.
        const blob = await apiCall(arca.url, 'GET', `/v2/held/app/blobs/${digest}`, { auth: admin });
        assert.equal(blob.status, 503);
      });
    },
  );

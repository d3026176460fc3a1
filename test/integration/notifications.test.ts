import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { freePort } from '../helpers/ports.js';
import { arcaCli } from '../helpers/arca-cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { verifySignature } from '../../src/notifications/index.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const secret = 'a-webhook-secret-of-enough-length';

interface Ev {
  id: string;
  timestamp: string;
  action: string;
  target: {
    repository: string;
    mediaType: string;
    digest: string;
    size: number;
    length: number;
    url: string;
    tag?: string;
    references: unknown[];
  };
  request: { method: string; useragent: string };
  source: { instanceID: string };
}

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Push a config blob and an image manifest naming it under `tag`. */
async function pushImage(url: string, repository: string, tag: string): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const res = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${sha(config)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: config,
  });
  assert.equal(res.status, 201, await res.text());
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha(config),
      size: config.length,
    },
    layers: [],
  });
  const put = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201, await put.text());
  return sha(manifest);
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('notifications: registry:2 endpoints and webhooks through the durable outbox', () => {
  let arca: RunningArca;
  let port: number;
  let receiver: Server | undefined;
  const received: Received[] = [];

  before(async () => {
    port = await freePort();
    arca = await startArca({
      config: {
        storage: { delete: { enabled: true } },
        // Only this test's jobs in the queue: the periodic GC job would always be queued.
        gc: { enabled: false },
        jobs: { pollinterval: '100ms', backoff: { base: '200ms', max: '1s' } },
        // The endpoint as registry:2's configuration documentation writes it.
        notifications: {
          events: { includereferences: true },
          endpoints: [
            {
              name: 'alistener',
              disabled: false,
              url: `http://127.0.0.1:${port}/event`,
              headers: { Authorization: ['Bearer <your token, if needed>'] },
              timeout: '1s',
              threshold: 10,
              backoff: '1s',
              ignoredmediatypes: ['application/octet-stream'],
              ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] },
            },
            // One that ignores nothing: blob events too, as registry:2 sends them.
            { name: 'everything', url: `http://127.0.0.1:${port}/all`, backoff: '200ms', threshold: 2 },
          ],
        },
      },
    });
  });

  after(async () => {
    receiver?.close();
    await arca?.stop();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${arca.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  test('a receiver down at first gets every event once it is up, each webhook delivery signed', async () => {
    assert.equal((await api('POST', '/api/v1/registries', { name: 'hooks' })).status, 201);
    // Bad input changes nothing: a short secret, an unknown event, a URL that is not http.
    for (const bad of [
      { url: `http://127.0.0.1:${port}/hook`, secret: 'short' },
      { url: `http://127.0.0.1:${port}/hook`, secret, events: ['explode'] },
      { url: 'ftp://127.0.0.1/hook', secret },
    ]) {
      assert.equal((await api('POST', '/api/v1/registries/hooks/webhooks', bad)).status, 400);
    }
    assert.deepEqual((await api('GET', '/api/v1/registries/hooks/webhooks')).body.items, []);
    const created = await api('POST', '/api/v1/registries/hooks/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['push', 'delete'],
      secret,
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.secret, undefined, 'the secret is never shown');
    const shown = await api('GET', `/api/v1/registries/hooks/webhooks/${String(created.body.id)}`);
    assert.equal(shown.status, 200);
    assert.equal(JSON.stringify(shown.body).includes(secret), false);

    const d1 = await pushImage(arca.url, 'hooks/app', 'v1');
    const d2 = await pushImage(arca.url, 'hooks/app', 'v2');
    assert.equal((await fetch(`${arca.url}/v2/hooks/app/manifests/v2`)).status, 200); // a pull
    assert.equal((await fetch(`${arca.url}/v2/hooks/app/manifests/v1`, { method: 'DELETE' })).status, 202);

    // The receiver is down: deliveries fail and wait in the job table.
    await until('failed attempts to be recorded', async () => {
      const jobs = (await api('GET', '/api/v1/jobs?kind=notification.deliver')).body.items as {
        last_error: string | null;
      }[];
      return jobs.length > 0 && jobs.every((j) => j.last_error !== null);
    });
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(received.length, 0);

    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(port, '127.0.0.1', resolve));

    // Endpoint: push v1, push v2, pull (ignored by its config), delete v1 → 3; webhook: 3; the
    // endpoint ignoring nothing: 2 config blob pushes, 2 manifest pushes, a pull, a delete → 6.
    await until('every event delivered', () => received.length >= 12);
    await new Promise((r) => setTimeout(r, 1_500));
    const endpoint = received.filter((r) => r.path === '/event');
    const hook = received.filter((r) => r.path === '/hook');
    assert.equal(endpoint.length, 3, 'the endpoint got push, push and delete');
    assert.equal(hook.length, 3, 'the webhook got push, push and delete');
    const all = received
      .filter((r) => r.path === '/all')
      .map((r) => (JSON.parse(r.body) as { events: Ev[] }).events[0]!);
    assert.deepEqual(all.map((e) => `${e.action} ${e.target.mediaType ?? ''}`).sort(), [
      'delete ',
      'pull application/vnd.oci.image.manifest.v1+json',
      'push application/octet-stream',
      'push application/octet-stream',
      'push application/vnd.oci.image.manifest.v1+json',
      'push application/vnd.oci.image.manifest.v1+json',
    ]);
    const blobPush = all.find((e) => e.target.mediaType === 'application/octet-stream')!;
    assert.match(blobPush.target.url, /\/v2\/hooks\/app\/blobs\/sha256:/);
    assert.equal(blobPush.target.size, blobPush.target.length);
    for (const r of received) {
      assert.equal(r.headers['content-type'], 'application/vnd.docker.distribution.events.v1+json');
    }
    for (const r of endpoint) assert.equal(r.headers.authorization, 'Bearer <your token, if needed>');
    for (const r of hook) {
      const signature = r.headers['x-arca-signature-256'];
      assert.equal(typeof signature, 'string');
      assert.ok(verifySignature(secret, r.body, signature as string), 'a valid signature');
      assert.equal(verifySignature('another-secret-entirely', r.body, signature as string), false);
    }
    const events = endpoint.map((r) => (JSON.parse(r.body) as { events: Ev[] }).events[0]!);
    const pushes = events.filter((e) => e.action === 'push');
    assert.deepEqual(pushes.map((e) => e.target.digest).sort(), [d1, d2].sort());
    const v1 = pushes.find((e) => e.target.tag === 'v1')!;
    assert.equal(v1.target.repository, 'hooks/app');
    assert.equal(v1.target.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(v1.target.length, v1.target.size);
    assert.match(v1.target.url, /\/v2\/hooks\/app\/manifests\/sha256:/);
    assert.equal(v1.target.references.length, 1, 'includereferences lists the config');
    assert.equal(v1.request.method, 'PUT');
    assert.match(v1.request.useragent, /./);
    assert.ok(v1.source.instanceID);
    assert.ok(v1.id && v1.timestamp);
    const deleted = events.find((e) => e.action === 'delete')!;
    assert.deepEqual([deleted.target.repository, deleted.target.tag], ['hooks/app', 'v1']);
    assert.equal(new Set(events.map((e) => e.id)).size, 3, 'each event once');

    const jobs = (await api('GET', '/api/v1/jobs?kind=notification.deliver&state=done')).body
      .items as unknown[];
    assert.equal(jobs.length, 12);
    const metrics = await (await fetch(`${arca.url}/metrics`)).text();
    assert.match(metrics, /arca_jobs_queued 0/);
    assert.match(metrics, /arca_jobs_oldest_age_seconds/);

    // The CLI: list, show, retry (a done delivery is sent again, with the same event id), refusals.
    const home = makeTempDir('arca-cli-');
    const login = { server: arca.url, username: 'nobody', password: 'none', configHome: home.path };
    const listed = await arcaCli(login, ['job', 'list', '--state', 'done', '--output', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const items = JSON.parse(listed.stdout) as {
      id: string;
      payload: { to: { webhook?: string }; event: Ev };
    }[];
    assert.equal(items.length, 12);
    const hookJob = items.find((j) => j.payload.to.webhook !== undefined)!;
    const showed = await arcaCli(login, ['job', 'show', hookJob.id, '--output', 'json']);
    assert.equal(showed.code, 0, showed.stderr);
    assert.equal((JSON.parse(showed.stdout) as { id: string }).id, hookJob.id);
    const table = await arcaCli(login, ['job', 'list', '--kind', 'notification.deliver']);
    assert.match(table.stdout, /^ID\s+KIND\s+STATE/);
    const before = received.length;
    const retried = await arcaCli(login, ['job', 'retry', hookJob.id, '--output', 'json']);
    assert.equal(retried.code, 0, retried.stderr);
    await until('the retried delivery', () => received.length > before);
    const again = JSON.parse(received.at(-1)!.body) as { events: Ev[] };
    assert.equal(again.events[0]!.id, hookJob.payload.event.id);
    const missing = await arcaCli(login, ['job', 'show', 'no-such-job']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no job 'no-such-job'/);
    const badState = await arcaCli(login, ['job', 'list', '--state', 'sideways']);
    assert.notEqual(badState.code, 0);
    assert.match(badState.stderr, /state must be one of/);
    await home.cleanup();

    assert.equal(
      (await api('DELETE', `/api/v1/registries/hooks/webhooks/${String(created.body.id)}`)).status,
      204,
    );
    assert.equal(
      (await api('GET', `/api/v1/registries/hooks/webhooks/${String(created.body.id)}`)).status,
      404,
    );
  });
});

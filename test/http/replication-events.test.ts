import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const json = { 'content-type': 'application/json' };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const secret = 'a-webhook-secret-of-enough-length';

interface Job {
  kind: string;
  payload: {
    location?: string;
    digest?: string;
    to?: unknown;
    event?: { action: string; target: Record<string, unknown> };
  };
}

describe('replication and asset events, in process: copies owed with each link, webhooks asked by name', () => {
  let arca: InProcessArca;
  let near: TempDir;
  let far: TempDir;
  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await arca.app.inject({
      method,
      url,
      headers: json,
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: res.statusCode, body: JSON.parse(res.body || 'null') as Record<string, unknown> };
  };
  const push = (repository: string, bytes: Buffer, digest = sha(bytes)) =>
    arca.app.inject({
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/?digest=${digest}`,
      headers: { 'content-type': 'application/octet-stream' },
      payload: bytes,
    });
  const jobs = async (kind: string) =>
    ((await call('GET', `/api/v1/jobs?kind=${kind}`)).body.items as Job[]).map((j) => j.payload);
  const replication = async (registry: string) =>
    (await call('GET', `/api/v1/registries/${registry}`)).body.replication as {
      location: string;
      blobs: number;
      pending_copies: number;
      lag_seconds: number;
    }[];

  before(async () => {
    near = makeTempDir('arca-near-');
    far = makeTempDir('arca-far-');
    arca = await inProcessArca({
      ARCA_LOCATIONS_NEAR_STORAGE_FILESYSTEM_ROOTDIRECTORY: near.path,
      ARCA_LOCATIONS_FAR_STORAGE_FILESYSTEM_ROOTDIRECTORY: far.path,
    });
  });
  after(async () => {
    await arca?.close();
    await near?.cleanup();
    await far?.cleanup();
  });

  test('a link owes one copy per additional location, in its transaction; a refused push owes none; status shows it', async () => {
    assert.equal(
      (
        await call('POST', '/api/v1/registries', {
          name: 'rep',
          primary_location: 'near',
          locations: ['far'],
        })
      ).status,
      201,
    );
    const data = Buffer.from('replicated bytes');
    // A digest that does not match: refused, nothing owed.
    assert.equal((await push('rep/app', data, sha(Buffer.from('other')))).statusCode, 400);
    assert.deepEqual(await jobs('oci.replicate'), []);
    assert.equal((await push('rep/app', data)).statusCode, 201);
    assert.deepEqual(await jobs('oci.replicate'), [{ location: 'far', digest: sha(data) }]);
    // The same blob linked into a second repository owes nothing more.
    assert.equal((await push('rep/other', data)).statusCode, 201);
    assert.equal((await jobs('oci.replicate')).length, 1);
    const status = await replication('rep');
    assert.deepEqual(
      status.map((l) => [l.location, l.blobs, l.pending_copies]),
      [
        ['near', 1, 0],
        ['far', 0, 1],
      ],
    );
    assert.ok(status[1]!.lag_seconds >= 0);
    // A removed location is owed nothing; an unknown one is refused.
    assert.equal((await call('PATCH', '/api/v1/registries/rep', { locations: ['nowhere'] })).status, 400);
    assert.equal((await call('PATCH', '/api/v1/registries/rep', { locations: [] })).status, 200);
    assert.deepEqual(
      (await replication('rep')).map((l) => [l.location, l.pending_copies]),
      [['near', 0]],
    );
    // Added again: back-filled with the blob its repositories have.
    assert.equal((await call('PATCH', '/api/v1/registries/rep', { locations: ['far'] })).status, 200);
    assert.deepEqual(
      (await replication('rep')).map((l) => [l.location, l.pending_copies]),
      [
        ['near', 0],
        ['far', 1],
      ],
    );
  });

  test("webhooks get Arca's own events only when they ask; an asset version published is one", async () => {
    assert.equal((await call('POST', '/api/v1/registries', { name: 'pub' })).status, 201);
    const plain = await call('POST', '/api/v1/registries/pub/webhooks', {
      url: 'http://127.0.0.1:9/a',
      secret,
    });
    assert.deepEqual(plain.body.events, ['push', 'pull', 'delete']);
    const asking = await call('POST', '/api/v1/registries/pub/webhooks', {
      url: 'http://127.0.0.1:9/b',
      secret,
      events: ['asset.published', 'replication.finished', 'replication.failed'],
    });
    assert.equal(asking.status, 201, JSON.stringify(asking.body));
    const bad = await call('POST', '/api/v1/registries/pub/webhooks', {
      url: 'http://127.0.0.1:9/c',
      secret,
      events: ['replication'],
    });
    assert.equal(bad.status, 400);
    const weights = Buffer.alloc(1000, 3);
    assert.equal((await push('pub/models/tiny', weights)).statusCode, 201);
    const published = await call('POST', '/api/v1/registries/pub/models/tiny/versions', {
      version: '1',
      files: [{ path: 'weights.bin', digest: sha(weights), size: weights.length }],
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    const events = (await jobs('notification.deliver')).map((p) => p.event!);
    const asset = events.filter((e) => e.action === 'asset.published');
    assert.equal(asset.length, 1, JSON.stringify(events.map((e) => e.action)));
    assert.equal(asset[0]!.target.repository, 'pub/models/tiny');
    assert.equal(asset[0]!.target.tag, '1');
    assert.deepEqual(asset[0]!.target.asset, { kind: 'model', name: 'tiny', version: '1', format: 'arca' });
  });
});

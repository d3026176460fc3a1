import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { parseChallenge } from '../../src/net/index.js';
import { parseRegistryDefinition } from '../../src/registries/index.js';
import { BlobFill } from '../../src/proxy/blob-fill.js';
import { TagChecks } from '../../src/proxy/tag-checks.js';

test('WWW-Authenticate challenges: quoted values with commas, escapes and = stay one parameter', () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    },
  );
  assert.deepEqual(parseChallenge('Basic realm="basic-realm"'), {
    scheme: 'basic',
    params: { realm: 'basic-realm' },
  });
  // An escaped quote does not end the value; a later parameter cannot be smuggled in by it.
  assert.deepEqual(parseChallenge('Bearer realm="a\\",scope=\\"x",service=s').params, {
    realm: 'a",scope="x',
    service: 's',
  });
  assert.deepEqual(parseChallenge('Bearer realm="never closed').params, { realm: 'never closed' });
  assert.deepEqual(parseChallenge(''), { scheme: '', params: {} });
});

test('a proxy registry definition: the upstream normalised, credentials and oddities refused', () => {
  const def = parseRegistryDefinition({ name: 'hub', proxy: { url: 'registry-1.docker.io/', ttl: '10m' } });
  assert.deepEqual(def.proxy, { url: 'https://registry-1.docker.io', credential: null, ttl: 600_000 });
  assert.equal(
    parseRegistryDefinition({ name: 'h', proxy: { url: 'http://10.0.0.5:5000', ttl: 30 } }).proxy?.ttl,
    30_000,
  );
  for (const url of ['ftp://x.example', 'https://u:p@x.example', 'https://x.example/?q=1', '']) {
    assert.throws(
      () => parseRegistryDefinition({ name: 'h', proxy: { url } }),
      /REGISTRY_INVALID|proxy/,
      url,
    );
  }
  assert.throws(() =>
    parseRegistryDefinition({ name: 'h', proxy: { url: 'https://x.example', ttl: '10ms' } }),
  );
  assert.throws(() => parseRegistryDefinition({ name: 'h', proxy: { url: 'https://x.example', extra: 1 } }));
  assert.throws(
    () => parseRegistryDefinition({ name: 'h', default: true, proxy: { url: 'https://x.example' } }),
    /cannot be the default/,
  );
});

test('tag checks: fresh within the TTL, bounded', () => {
  const checks = new TagChecks(2);
  checks.mark('a', 1000);
  assert.equal(checks.fresh('a', 500, 1400), true);
  assert.equal(checks.fresh('a', 500, 1500), false);
  checks.mark('b', 1000);
  checks.mark('c', 1000);
  assert.equal(checks.fresh('a', 500, 1100), false, 'the oldest is forgotten beyond the bound');
  assert.equal(checks.fresh('c', 500, 1100), true);
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('a blob fill: every early subscriber gets the bytes, a late one none, storage all of them', async () => {
  const data = Buffer.alloc(3 << 20, 7);
  const upstream = new PassThrough();
  let stored: Buffer = Buffer.alloc(0);
  let counted = 0;
  const fill = new BlobFill(
    upstream,
    data.length,
    async (bytes) => void (stored = await collect(bytes)),
    (n) => (counted += n),
  );
  const a = fill.subscribe()!;
  const b = fill.subscribe()!;
  const gone = fill.subscribe()!;
  const reading = [collect(a), collect(b)];
  gone.destroy();
  upstream.write(data.subarray(0, 1 << 20));
  await new Promise((r) => setImmediate(r));
  assert.equal(fill.subscribe(), undefined, 'bytes went by');
  upstream.end(data.subarray(1 << 20));
  await fill.done;
  for (const got of await Promise.all(reading)) assert.equal(sha(got), sha(data));
  assert.equal(sha(stored), sha(data));
  assert.equal(counted, data.length);
});

test('a blob fill refused by storage (a wrong digest): clients never get the last bytes', async () => {
  const upstream = Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2)]);
  const fill = new BlobFill(
    upstream,
    2000,
    async (bytes) => {
      await collect(bytes);
      throw new Error('digest mismatch');
    },
    () => undefined,
  );
  const client = fill.subscribe()!;
  const received: Buffer[] = [];
  client.on('data', (c: Buffer) => received.push(c));
  const ended = new Promise<string>((resolve) => {
    client.on('error', (err) => resolve(err.message));
    client.on('end', () => resolve('end'));
  });
  await assert.rejects(fill.done, /digest mismatch/);
  assert.equal(await ended, 'digest mismatch');
  assert.ok(Buffer.concat(received).length < 2000);
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type Server as HttpServer,
} from 'node:http';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { testRegistryLogin } from '../../src/credentials/index.js';
import { S3Driver } from '../../src/storage/index.js';
import type { S3StorageConfig } from '../../src/config/index.js';
import { DestinationPolicy, mayPresent, Outbound, OutboundError, registryBase } from '../../src/net/index.js';
import { tcpServer } from '../helpers/tcp-server.js';

/** An HTTP server that records every request's Authorization header. */
async function recorder(
  answer: (url: string, headers: IncomingHttpHeaders) => [number, Record<string, string>],
) {
  const seen: { url: string; authorization: string | undefined }[] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const [status, headers] = answer(req.url ?? '', req.headers);
    const token = headers['X-Token'];
    res.writeHead(status, headers).end(token ? JSON.stringify({ token }) : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function failure(work: Promise<unknown>): Promise<OutboundError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `an OutboundError, not ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

describe('hardening 7: one outbound module, bounded, with a destination policy', () => {
  test('hardening 7: the default policy denies link-local and metadata addresses, keeps loopback and private ranges', () => {
    const policy = new DestinationPolicy();
    for (const denied of [
      '169.254.169.254',
      '169.254.0.1',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
    ])
      assert.match(policy.refusal(denied) ?? '', /denied by the outbound policy/, denied);
    for (const allowed of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '192.168.0.10',
      '172.16.5.5',
      'fd00::1',
      '8.8.8.8',
    ])
      assert.equal(policy.refusal(allowed), undefined, allowed);
    const strict = new DestinationPolicy({ allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] });
    assert.equal(strict.refusal('10.1.2.3'), undefined);
    assert.match(strict.refusal('10.9.1.1') ?? '', /denied/);
    assert.match(strict.refusal('127.0.0.1') ?? '', /not allowed/);
    // The unspecified addresses reach this host: denying loopback denies them too.
    const noLoopback = new DestinationPolicy({ allow: [], deny: ['127.0.0.0/8', '::1'] });
    for (const local of ['0.0.0.0', '::', '::ffff:127.0.0.1'])
      assert.match(noLoopback.refusal(local) ?? '', /denied/, local);
    assert.throws(() => new DestinationPolicy({ allow: [], deny: ['10.0.0.0/33'] }), /prefix length/);
    assert.throws(() => new DestinationPolicy({ allow: [], deny: ['nvcr.io'] }), /address or a CIDR/);
  });

  test('hardening 7: outbound.* config keys: defaults, ARCA_OUTBOUND_* overrides, bad ranges refused', () => {
    const defaults = loadConfig({ env: {} }).outbound;
    assert.deepEqual(defaults, {
      timeout: 30_000,
      connecttimeout: 10_000,
      allow: [],
      deny: ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254'],
    });
    const set = loadConfig({
      env: { ARCA_OUTBOUND_TIMEOUT: '3s', ARCA_OUTBOUND_DENY: '[10.0.0.0/8, 169.254.0.0/16]' },
    }).outbound;
    assert.equal(set.timeout, 3000);
    assert.deepEqual(set.deny, ['10.0.0.0/8', '169.254.0.0/16']);
    assert.throws(
      () => loadConfig({ env: { ARCA_OUTBOUND_ALLOW: '[10.0.0.0/40]' } }),
      (err: unknown) => err instanceof ConfigError && /outbound\.allow.*prefix length/.test(err.message),
    );
  });

  test('hardening 7: 169.254.169.254 is refused by policy before any connection', async () => {
    const outbound = new Outbound();
    const started = performance.now();
    const err = await failure(outbound.request('http://169.254.169.254/latest/meta-data/'));
    const ms = performance.now() - started;
    assert.equal(err.kind, 'denied');
    assert.match(err.message, /169\.254\.169\.254 is denied by the outbound policy/);
    assert.ok(ms < 100, `refused in ${ms} ms, without trying to connect`);
    assert.equal((await failure(outbound.request('http://[fd00:ec2::254]/'))).kind, 'denied');
  });

  test('hardening 7: every address a name resolves to is checked before connecting', async () => {
    const listener = await tcpServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    try {
      const outbound = new Outbound({ deny: ['127.0.0.0/8', '::1'] });
      const err = await failure(outbound.request(`http://localhost:${listener.port}/`));
      assert.equal(err.kind, 'denied');
      assert.match(err.message, /^localhost: .* denied by the outbound policy/);
      assert.equal(listener.accepted(), 0, 'no connection was made');
      // The same server by name, with the default policy: reached.
      const ok = await new Outbound().request(`http://localhost:${listener.port}/`);
      assert.equal(ok.status, 200);
    } finally {
      await listener.close();
    }
  });

  test('hardening 7: the S3 client obeys the same policy: a name resolving to a denied address is never connected to', async () => {
    const listener = await tcpServer(() => undefined);
    try {
      const config = {
        accesskey: 'a',
        secretkey: 'b',
        region: 'us-east-1',
        regionendpoint: `https://localhost:${listener.port}`,
        forcepathstyle: true,
        bucket: 'models',
        encrypt: false,
        secure: true,
        skipverify: false,
        v4auth: true,
        chunksize: 10 << 20,
        multipartcopychunksize: 32 << 20,
        multipartcopythresholdsize: 32 << 20,
        multipartcopymaxconcurrency: 4,
        rootdirectory: '',
        storageclass: 'STANDARD',
      } as S3StorageConfig;
      const guard = new Outbound({ deny: ['127.0.0.0/8', '::1'] });
      const driver = new S3Driver(config, { guard });
      await assert.rejects(driver.ping(AbortSignal.timeout(5000)), /denied by the outbound policy/);
      driver.close();
      assert.equal(listener.accepted(), 0);
      assert.throws(
        () =>
          new S3Driver({ ...config, regionendpoint: 'https://169.254.169.254' }, { guard: new Outbound() }),
        /169\.254\.169\.254 is denied by the outbound policy/,
      );
    } finally {
      await listener.close();
    }
  });

  test('hardening 7: a server that accepts and never answers: the request ends within its timeout and its socket is released', async (t) => {
    const silent = await tcpServer(() => undefined);
    try {
      const outbound = new Outbound({ timeout: 800 });
      const started = performance.now();
      const err = await failure(outbound.request(silent.url));
      const ms = Math.round(performance.now() - started);
      assert.equal(err.kind, 'timeout');
      assert.equal(err.message, 'no answer within 800 ms');
      await new Promise((r) => setTimeout(r, 100));
      t.diagnostic(
        `silent server: failed after ${ms} ms (timeout 800 ms); connections still open: ${silent.open()}`,
      );
      assert.ok(ms >= 750 && ms < 3000, `${ms} ms`);
      assert.equal(silent.open(), 0, 'the connection was closed');
    } finally {
      await silent.close();
    }
  });

  test('hardening 7: garbage and hang-ups read the same coarse "not an HTTP server"', async () => {
    const garbage = await tcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const hangup = await tcpServer((s) => s.destroy());
    const tlsToPlain = await tcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    try {
      const outbound = new Outbound({ timeout: 3000 });
      for (const server of [garbage, hangup]) {
        const err = await failure(outbound.request(server.url));
        assert.equal(err.message, 'not an HTTP server');
        assert.doesNotMatch(err.message, /Parse Error|hang up|Expected HTTP/);
      }
      const tls = await failure(outbound.request(`https://127.0.0.1:${tlsToPlain.port}/`));
      assert.equal(tls.kind, 'tls');
      assert.match(tls.message, /^TLS failure/);
      const refused = await failure(outbound.request('http://127.0.0.1:1/'));
      assert.equal(refused.message, 'unreachable');
    } finally {
      await Promise.all([garbage.close(), hangup.close(), tlsToPlain.close()]);
    }
  });
});

describe('hardening 2: a secret goes only to the exact origin it was stored for', () => {
  test('hardening 2: origin rules: a bare host is https:443; scheme, host and port must all match', () => {
    assert.equal(registryBase('nvcr.io').href, 'https://nvcr.io/');
    assert.equal(registryBase('127.0.0.1:5000').href, 'https://127.0.0.1:5000/');
    assert.equal(registryBase('http://127.0.0.1:5000').href, 'http://127.0.0.1:5000/');
    assert.throws(() => registryBase('ftp://x'), /not an http/);
    assert.ok(mayPresent('nvcr.io', new URL('https://nvcr.io:443/v2/')));
    assert.ok(mayPresent('https://host:5000', new URL('https://host:5000/v2/')));
    assert.ok(!mayPresent('https://host:5000', new URL('http://host:5000/v2/')), 'never over plain http');
    assert.ok(!mayPresent('host:5000', new URL('http://host:5000/v2/')), 'a bare host is https');
    assert.ok(!mayPresent('nvcr.io', new URL('http://127.0.0.1:8080/v2/')));
    assert.ok(!mayPresent('nvcr.io', new URL('https://nvcr.io.attacker.example/v2/')));
    assert.ok(!mayPresent('https://host:5000', new URL('https://host:5001/v2/')));
  });

  test('hardening 2: credential test: a token realm or a redirect on another origin never gets the secret', async () => {
    const secret = 'stored-secret-7f3a';
    const attacker = await recorder(() => [200, { 'Content-Type': 'application/json' }]);
    const realmRegistry = await recorder(() => [
      401,
      {
        'WWW-Authenticate': `Bearer realm="${attacker.url}/token",service="x"`,
        'Docker-Distribution-API-Version': 'registry/2.0',
      },
    ]);
    const redirecting = await recorder(() => [307, { Location: `${attacker.url}/v2/` }]);
    try {
      const outbound = new Outbound();
      const viaRealm = await testRegistryLogin(
        outbound,
        { registry: realmRegistry.url, username: 'u', auth: secret },
        5000,
      );
      assert.equal(viaRealm.ok, false);
      assert.match(
        viaRealm.message,
        /another origin than the credential's: the credential was not sent there/,
      );
      const viaRedirect = await testRegistryLogin(
        outbound,
        { registry: redirecting.url, username: 'u', auth: secret },
        5000,
      );
      assert.equal(viaRedirect.ok, false);
      assert.match(viaRedirect.message, /redirected to .*not followed with the credential/);
      assert.equal(attacker.seen.length, 0, 'the attacker saw no request at all');
      // A realm the credential itself names (Docker Hub's auth.docker.io) does get it.
      const token = 'issued-token-1';
      const realm = await recorder(() => [200, { 'Content-Type': 'application/json', 'X-Token': token }]);
      const tokenRegistry = await recorder((_url, headers) =>
        headers.authorization === `Bearer ${token}`
          ? [200, {}]
          : [401, { 'WWW-Authenticate': `Bearer realm="${realm.url}/token",service="s"` }],
      );
      try {
        const named = await testRegistryLogin(
          outbound,
          { registry: tokenRegistry.url, username: 'u', auth: secret, realm: `${realm.url}/token` },
          5000,
        );
        assert.equal(named.message, 'logged in (token)');
        assert.equal(realm.seen.length, 1);
      } finally {
        await Promise.all([realm.close(), tokenRegistry.close()]);
      }
      // The registries themselves did get it: they are where it was stored for.
      assert.ok(realmRegistry.seen.every((r) => r.authorization?.startsWith('Basic ')));
    } finally {
      await Promise.all([attacker.close(), realmRegistry.close(), redirecting.close()]);
    }
  });
});

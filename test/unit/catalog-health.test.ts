import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { CatalogService, HealthScheduler, probeRegistry } from '../../src/catalog/index.js';
import { probeUrl } from '../../src/catalog/health/probe.js';
import { execOk } from '../helpers/exec.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const quiet = pino({ level: 'silent' });

describe('catalog health probe', () => {
  let tmp: TempDir;
  let https: HttpsServer;
  let httpsUrl: string;
  let cert: Buffer;
  let locked: RunningRegistry2;

  before(async () => {
    tmp = makeTempDir('arca-probe-');
    const key = join(tmp.path, 'key.pem');
    const certPath = join(tmp.path, 'cert.pem');
    await execOk('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      certPath,
    ]);
    cert = readFileSync(certPath);
    https = createHttpsServer({ key: readFileSync(key), cert }, (_req, res) => {
      res.writeHead(200, {
        'Docker-Distribution-API-Version': 'registry/2.0',
        'Content-Type': 'application/json',
      });
      res.end('{}');
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    httpsUrl = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
    locked = await startRegistry2({ htpasswd: { user: 'alice', pass: 'secret-pass' } });
  });
  after(async () => {
    await new Promise((resolve) => https?.close(resolve));
    await locked?.stop();
    await tmp?.cleanup();
  });

  test('public URLs that cannot be probed say why', () => {
    assert.equal(probeUrl(''), 'the entry has no public URL');
    assert.match(String(probeUrl('registry.example.com:5000')), /not an http:\/\/ or https:\/\/ URL/);
    assert.match(String(probeUrl('ftp://x')), /not an http:\/\/ or https:\/\/ URL/);
    assert.match(String(probeUrl('http://')), /is not a URL/);
    assert.equal(String(probeUrl('http://10.13.21.22:32633')), 'http://10.13.21.22:32633/v2/');
    assert.equal(String(probeUrl('https://r.example.com/prefix/')), 'https://r.example.com/prefix/v2/');
  });

  test('https: the certificate expiry is recorded; an untrusted certificate is down', async () => {
    const trusted = await probeRegistry(httpsUrl, { timeoutMs: 2000, ca: cert });
    assert.equal(trusted.status, 'up');
    const expires = Date.parse(trusted.tls_expires_at!);
    const days = (expires - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in ${days} days`);
    const untrusted = await probeRegistry(httpsUrl, { timeoutMs: 2000 });
    assert.equal(untrusted.status, 'down');
    assert.match(untrusted.error!, /self[- ]signed certificate/);
  });

  test('the credential seam: a stored credential is presented', async () => {
    const { meta, drop } = await freshDatabase('sqlite');
    try {
      const anonymous = new CatalogService(meta, { healthcheck: { timeout: 2000, history: 60_000 } });
      const withCredential = new CatalogService(meta, {
        healthcheck: { timeout: 2000, history: 60_000 },
        credentials: {
          forEntry: async () => ({ registry: locked.url, username: 'alice', password: 'secret-pass' }),
        },
      });
      await anonymous.create({ container_registry_id: 'locked', container_registry_public_url: locked.url });
      assert.equal((await anonymous.checkHealth('locked')).status_code, 401);
      const record = await withCredential.checkHealth('locked');
      assert.equal(record.status_code, 200);
      assert.equal(record.status, 'up');
      assert.equal((await anonymous.healthHistory('locked')).length, 2);
    } finally {
      await drop();
    }
  });
});

describe('periodic health checks', () => {
  let server: Server;
  let url: string;
  const accepted: number[] = [];
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      accepted.push(performance.now());
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('bounded concurrency, bounded time; entries checked within the interval are skipped', async () => {
    const { meta, drop } = await freshDatabase('sqlite');
    try {
      const catalog = new CatalogService(meta, { healthcheck: { timeout: 300, history: 60_000 } });
      for (let i = 0; i < 6; i++)
        await catalog.create({ container_registry_id: `hang-${i}`, container_registry_public_url: url });
      const scheduler = new HealthScheduler(catalog, { interval: 60_000, concurrency: 2 }, quiet);
      const started = Date.now();
      assert.equal(await scheduler.runOnce(), 6);
      const ms = Date.now() - started;
      assert.ok(ms >= 850 && ms < 2500, `three waves of two 300 ms probes took ${ms} ms`);
      // Two at a time: connections arrive in pairs, a probe timeout apart.
      assert.equal(accepted.length, 6);
      for (let i = 0; i + 2 < accepted.length; i++) {
        assert.ok(
          accepted[i + 2]! - accepted[i]! > 200,
          `connections ${i} and ${i + 2} were in flight together`,
        );
      }
      const [last] = await catalog.healthHistory('hang-0');
      assert.equal(last!.error, 'no answer within 300 ms');
      assert.equal(await scheduler.runOnce(), 0, 'nothing is due again within the interval');
      await scheduler.stop();
    } finally {
      await drop();
    }
  });

  test('stop() cancels the probes in flight', async () => {
    const { meta, drop } = await freshDatabase('sqlite');
    try {
      const catalog = new CatalogService(meta, { healthcheck: { timeout: 10_000, history: 60_000 } });
      await catalog.create({ container_registry_id: 'slow', container_registry_public_url: url });
      const scheduler = new HealthScheduler(
        catalog,
        { interval: 60_000, concurrency: 1, firstDelay: 0 },
        quiet,
      );
      scheduler.start();
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await scheduler.stop();
      assert.ok(Date.now() - started < 1000, 'stopped without waiting for the 10 s timeout');
    } finally {
      await drop();
    }
  });
});

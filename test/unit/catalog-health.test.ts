import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CatalogService, HealthScheduler, probeRegistry } from '../../src/catalog/index.js';
import { probeUrl } from '../../src/catalog/health/probe.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { httpServer, type HttpServer } from '../helpers/http-server.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { tcpServer, type TcpServer } from '../helpers/tcp-server.js';

const quiet = pino({ level: 'silent' });

describe('catalog health probe', () => {
  let tmp: TempDir;
  let https: HttpServer;
  let httpsUrl: string;
  let cert: Buffer;
  let locked: RunningRegistry2;

  before(async () => {
    tmp = makeTempDir('arca-probe-');
    const certificate = await selfSignedCertificate(tmp.path, 30);
    cert = certificate.cert;
    https = await httpServer(
      (_req, res) => {
        res.writeHead(200, {
          'Docker-Distribution-API-Version': 'registry/2.0',
          'Content-Type': 'application/json',
        });
        res.end('{}');
      },
      { tls: certificate },
    );
    httpsUrl = https.url;
    locked = await startRegistry2({ htpasswd: { user: 'alice', pass: 'secret-pass' } });
  });
  after(async () => {
    await https?.close();
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
  let server: TcpServer;
  let url: string;
  const accepted: number[] = [];

  before(async () => {
    // Accepts and never answers.
    server = await tcpServer(() => accepted.push(performance.now()));
    url = server.url;
  });
  after(async () => {
    await server?.close();
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

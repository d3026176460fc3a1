import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import type { Distribution } from '../../src/oci/index.js';
import { testAccessControl } from '../helpers/access-control.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

let work: TempDir;
let drop: () => Promise<void>;
const apps: FastifyInstance[] = [];

async function app(console: AppOptions['console']): Promise<FastifyInstance> {
  const { meta, drop: close } = await freshDatabase('sqlite');
  drop = close;
  const access = testAccessControl(meta.db, { kind: 'arca' }, join(work.path, 'keys'));
  const built = buildApp({
    logger: pino({ level: 'silent' }),
    distribution: {} as Distribution,
    access,
    deleteEnabled: false,
    readOnly: false,
    manifestLimit: 1 << 20,
    accessLog: false,
    readiness: {},
    uploadsInProgress: async () => 0,
    console,
  });
  apps.push(built);
  await built.ready();
  return built;
}

before(() => {
  work = makeTempDir('arca-console-http-');
  mkdirSync(join(work.path, 'build', 'assets'), { recursive: true });
  writeFileSync(join(work.path, 'build', 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(work.path, 'build', 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(work.path, 'build', 'assets', '.hidden'), 'no');
  writeFileSync(join(work.path, 'secret.txt'), 'outside the build');
});

after(async () => {
  for (const a of apps) await a.close();
  await drop?.();
  await work.cleanup();
});

test('the console: its files under /ui/, any other /ui/ path its page, / sent there; public, nothing leaks', async () => {
  const a = await app({ root: join(work.path, 'build') });
  const get = (url: string, headers: Record<string, string> = {}) =>
    a.inject({ method: 'GET', url, headers });

  const root = await get('/', { accept: 'text/html' });
  assert.equal(root.statusCode, 302);
  assert.equal(root.headers.location, '/ui/');
  assert.equal((await get('/ui')).headers.location, '/ui/');

  for (const path of ['/ui/', '/ui/registries', '/ui/models/shared/tiny-lm', '/ui/a/b/c?x=1']) {
    const page = await get(path);
    assert.equal(page.statusCode, 200, path);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /id="root"/);
    assert.equal(
      page.headers['cache-control'],
      'no-cache',
      'the page is revalidated, so a new build is seen',
    );
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(
      String(page.headers['content-security-policy']),
      /script-src 'self';.*frame-ancestors 'none'/,
    );
  }

  const script = await get('/ui/assets/index-abc123.js');
  assert.equal(script.statusCode, 200);
  assert.match(String(script.headers['content-type']), /javascript/);
  assert.match(String(script.headers['cache-control']), /immutable/);

  // Anything outside the build, hidden, or missing under assets/ is a plain 404, never the page.
  for (const path of [
    '/ui/assets/missing.js',
    '/ui/assets/.hidden',
    '/ui/assets/../../secret.txt',
    '/ui/assets/..%2F..%2Fsecret.txt',
    '/ui/assets/%2e%2e/%2e%2e/secret.txt',
  ]) {
    const res = await get(path);
    assert.ok(res.statusCode === 404 || res.statusCode === 400, `${path}: ${res.statusCode}`);
    assert.doesNotMatch(res.body, /outside the build/, path);
  }
  const traversal = await get('/ui/..%2F..%2Fsecret.txt');
  assert.doesNotMatch(traversal.body, /outside the build/);

  // The other surfaces keep their paths and their own refusals.
  const v2 = await get('/v2/');
  assert.equal(v2.statusCode, 401);
  assert.match(String(v2.headers['www-authenticate']), /^Bearer /);
  const api = await get('/api/v1/me');
  assert.equal(api.statusCode, 401);
  assert.match(String(api.headers['content-type']), /problem\+json/);
  const unknown = await get('/api/v1/ui/registries');
  assert.equal(unknown.statusCode, 404, 'an /api path is never the console');
  assert.match(String(unknown.headers['content-type']), /problem\+json/);
});

test('without a build the console says how to make one; console: false serves nothing', async () => {
  const missing = await app({ root: undefined });
  // The repository may or may not hold a build: with none found, a 503 that says what to run.
  const res = await missing.inject({ method: 'GET', url: '/ui/registries' });
  assert.ok(res.statusCode === 200 || res.statusCode === 503);
  if (res.statusCode === 503) assert.match(res.body, /npm run build/);

  const off = await app(false);
  assert.equal((await off.inject({ method: 'GET', url: '/ui/' })).statusCode, 404);
  assert.equal((await off.inject({ method: 'GET', url: '/' })).statusCode, 404);
});

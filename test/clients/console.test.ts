import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openDatabase } from '../../src/db/index.js';
import { apiCall } from '../helpers/api-client.js';
import { fillAssets } from '../helpers/asset-bulk.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { assertAccessible, launchChromium, screenshots } from '../helpers/browser.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { pushBlob } from '../helpers/oci-push.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait-for.js';

const admin: Credentials = { user: 'admin', pass: 'console-admin-1' };
const reader: Credentials = { user: 'reader', pass: 'console-reader-1' };
const hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The web console in Debian's Chromium against a real Arca and a Ceph RGW bucket: sign in, an S3
 * registry created and made default, a model folder uploaded by the browser straight to the bucket,
 * its card and files, a download compared, a Reader offered nothing it may not do and refused when
 * it tries, deletes, sign-out revoking the session; axe-core on every page.
 */
describe('web console', { timeout: 170_000 }, () => {
  let rgw: CephRgw;
  let arca: RunningArca;
  let browser: Browser | undefined;
  let work: TempDir;
  const bucket = bucketName('console');
  const consoleErrors: string[] = [];
  const api = (method: string, path: string, body?: unknown, who: Credentials = admin) =>
    apiCall(arca.url, method, path, { auth: who, json: body });

  const folder: Record<string, Buffer> = {
    'config.json': Buffer.from('{"architectures": ["TinyLM"], "hidden_size": 64}\n'),
    'model.safetensors': randomBytes(300_000),
    'tokenizer/vocab.txt': Buffer.from('a\nb\nc\n'),
  };

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    return page;
  }

  async function signIn(page: Page, who: Credentials): Promise<void> {
    await page.goto(`${arca.url}/`);
    assert.match(page.url(), /\/ui\/$/, '/ sends browsers to the console');
    await page.getByLabel('Username').fill(who.user);
    await page.getByLabel('Password').fill(who.pass);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function open(page: Page, link: string): Promise<void> {
    await page
      .getByRole('navigation', { name: 'Console sections' })
      .getByRole('link', { name: link })
      .click();
    await page.getByRole('heading', { level: 1, name: link }).waitFor();
  }

  const registryRow = (page: Page, name: string) => page.locator(`tr[data-registry="${name}"]`);

  before(async () => {
    work = makeTempDir('arca-console-');
    rgw = await sharedCephRgw();
    await rgw.createBucket(bucket);
    arca = await startArca({
      auth: 'arca',
      env: { ARCA_ADMIN_PASSWORD: admin.pass, ...rgw.serverEnv() },
      config: {
        locations: { west: { storage: { filesystem: { rootdirectory: join(work.path, 'west') } } } },
      },
    });
    assert.equal(
      (await api('POST', '/api/v1/users', { name: reader.user, password: reader.pass })).status,
      201,
    );
    const assigned = await api('POST', '/api/v1/role-assignments', {
      role: 'Reader',
      principal: { kind: 'user', name: reader.user },
      scope: '/',
    });
    assert.equal(assigned.status, 201);
    for (const [path, data] of Object.entries(folder)) {
      mkdirSync(join(work.path, 'tiny', path, '..'), { recursive: true });
      writeFileSync(join(work.path, 'tiny', path), data);
    }
    if (process.env.ARCA_CONSOLE_SCREENSHOTS)
      mkdirSync(process.env.ARCA_CONSOLE_SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await arca?.stop();
    await rgw?.deleteBucket(bucket).catch(() => undefined);
    await stopSharedCephRgw();
    await work?.cleanup();
  });

  test('the console is served under /ui with a fallback to its page, and nothing else moves', async () => {
    const index = await apiCall(arca.url, 'GET', '/ui/registries');
    assert.equal(index.status, 200);
    assert.match(index.text, /<div id="root">/);
    assert.equal((await apiCall(arca.url, 'GET', '/')).status, 302);
    assert.equal((await apiCall(arca.url, 'GET', '/ui/assets/nothing.js')).status, 404);
    assert.equal((await apiCall(arca.url, 'GET', '/ui/assets/..%2F..%2Findex.html')).status, 404);
    // What a first visit loads: the page's module script and what it preloads, under 300 KB gzip.
    const initial = [...index.text.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    assert.ok(initial.length >= 1, index.text);
    let gzipped = 0;
    for (const path of initial) {
      const script = await apiCall(arca.url, 'GET', path);
      assert.equal(script.status, 200, path);
      gzipped += gzipSync(script.bytes).length;
    }
    console.log(`initial JavaScript: ${initial.length} files, ${Math.round(gzipped / 1024)} KB gzip`);
    assert.ok(gzipped < 300 * 1024, `initial JavaScript ${gzipped} bytes gzip`);
    assert.equal((await apiCall(arca.url, 'GET', '/v2/')).status, 401, '/v2 still asks for a token');
    assert.equal((await apiCall(arca.url, 'GET', '/api/v1/registries')).status, 401);
  });

  test('an admin creates an S3 registry, uploads a model from the browser, downloads it, deletes it', async () => {
    consoleErrors.length = 0;
    const context = await browser!.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      ignoreHTTPSErrors: true,
    });
    try {
      const page = await newPage(context);
      await page.goto(`${arca.url}/ui/`);
      await assertAccessible(page, 'sign-in');
      await screenshots(page, 'signin');
      await signIn(page, admin);
      await page.getByRole('heading', { level: 1, name: 'Registries' }).waitFor();
      assert.equal(
        await page.evaluate(() => Object.values(sessionStorage).some((v) => v.includes('console-admin-1'))),
        false,
        'no password in the browser',
      );

      // Create the S3 registry, its credential made inline.
      await page.getByRole('button', { name: 'Create registry' }).click();
      const form = page.getByRole('form', { name: 'Create registry' });
      await form.getByLabel('Name', { exact: true }).fill('consoles3');
      await form.getByLabel('Description', { exact: true }).fill('Models uploaded by a browser');
      await form.getByLabel('Endpoint', { exact: true }).fill(rgw.endpoint);
      await form.getByLabel('Bucket', { exact: true }).fill(bucket);
      const https = form.getByLabel('Use HTTPS');
      assert.equal(await https.isChecked(), true);
      assert.equal(await https.isDisabled(), true, 'HTTPS is locked on');
      await form.getByLabel('New credential name').fill('console-rgw');
      await form.getByLabel('Access key ID').fill(rgw.accessKey);
      await form.getByLabel('Secret access key').fill(rgw.secretKey);
      await assertAccessible(page, 'registry form');
      await form.getByRole('button', { name: 'Create' }).click();
      const row = registryRow(page, 'consoles3');
      await row.getByText('Active', { exact: true }).waitFor();
      assert.match(await row.innerText(), new RegExp(bucket));
      await row.getByRole('button', { name: 'Edit consoles3' }).click();
      const edit = page.getByRole('form', { name: 'Edit registry consoles3' });
      await edit.getByLabel('Description', { exact: true }).fill('Models from the browser');
      await edit.getByRole('button', { name: 'Save' }).click();
      await row.getByText('Models from the browser').waitFor();
      await row.getByRole('button', { name: 'Set consoles3 as default' }).click();
      await row.locator('td', { hasText: /^Yes$/ }).waitFor();
      const listed = await api('GET', '/api/v1/registries/consoles3');
      assert.equal(listed.body.default, true);
      assert.equal(listed.body.state, 'Active');
      await assertAccessible(page, 'registries');
      await screenshots(page, 'registries');

      // The session survives a reload.
      await page.reload();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();

      // Upload a model folder from the browser.
      await open(page, 'Models');
      await page.getByRole('button', { name: 'Upload model' }).click();
      const upload = page.getByRole('form', { name: 'Upload a model' });
      await upload.getByLabel('Name', { exact: true }).fill('tiny-lm');
      await upload.getByLabel('Version').fill('1');
      await upload.getByLabel('Description', { exact: true }).fill('A tiny language model');
      await upload
        .getByLabel('Card', { exact: true })
        .fill('Tiny LM, trained on three letters. <img src=x onerror="window.pwned=1">');
      await upload.getByLabel('License').fill('apache-2.0');
      await upload.getByLabel('Folder').setInputFiles(join(work.path, 'tiny'));
      await upload.getByRole('progressbar', { name: 'All files' }).waitFor();
      await assertAccessible(page, 'upload form');
      await screenshots(page, 'models-upload');
      await upload.getByRole('button', { name: 'Upload and publish' }).click();
      await page.locator('tr[data-asset="tiny-lm"]').waitFor({ timeout: 60_000 });
      await assertAccessible(page, 'models');
      await screenshots(page, 'models');

      const objects = [...(await rgw.objects(bucket)).keys()];
      for (const [path, data] of Object.entries(folder)) {
        assert.ok(
          objects.some((key) => key.includes(hex(data))),
          `${path}'s bytes are in the bucket (${objects.length} objects)`,
        );
      }
      assert.ok(!objects.some((k) => k.includes('browser-uploads/')), 'no staging object left');

      // Its card and files.
      await page.getByRole('link', { name: 'tiny-lm' }).click();
      await page.getByText('Tiny LM, trained on three letters.').waitFor();
      const card = await page.getByTestId('card').innerText();
      assert.match(card, /apache-2\.0/);
      // A card is text: markup in it is shown, never run.
      assert.match(card, /<img src=x onerror=/);
      assert.equal(await page.getByTestId('card').locator('img').count(), 0);
      assert.equal(await page.evaluate(() => 'pwned' in window), false);
      for (const path of Object.keys(folder))
        await page.getByRole('cell', { name: path, exact: true }).waitFor();
      await page.getByRole('cell', { name: '293 KiB' }).waitFor();
      await assertAccessible(page, 'model');
      await screenshots(page, 'model');

      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 20_000 }),
        page.getByRole('button', { name: 'Download model.safetensors' }).click(),
      ]);
      const saved = join(work.path, 'downloaded.safetensors');
      await download.saveAs(saved);
      assert.equal(hex(readFileSync(saved)), hex(folder['model.safetensors']!), 'the download is the upload');

      await open(page, 'Datasets');
      await page.getByRole('heading', { level: 2, name: 'Datasets in consoles3' }).waitFor();
      await assertAccessible(page, 'datasets');
      await screenshots(page, 'datasets');

      // Repositories and tags: what the model version is as an OCI artifact, and how to pull it.
      await open(page, 'Repositories');
      await page.getByRole('button', { name: 'Tags of consoles3/models/tiny-lm' }).click();
      await page.getByRole('group', { name: 'Choose a tag' }).getByRole('button', { name: '1' }).click();
      await page.getByText(`podman pull ${new URL(arca.url).host}/consoles3/models/tiny-lm:1`).waitFor();
      await page.getByRole('cell', { name: hex(folder['model.safetensors']!), exact: false }).waitFor();
      await assertAccessible(page, 'repositories');
      await screenshots(page, 'repositories');

      // Credentials are masked: the secret never reaches the page.
      await open(page, 'Credentials');
      await page.getByRole('cell', { name: 'console-rgw', exact: true }).waitFor();
      assert.ok(!(await page.content()).includes(rgw.secretKey), 'the secret key is not shown');
      await assertAccessible(page, 'credentials');
      await screenshots(page, 'credentials');

      // The catalog lists Arca's own registries; a check records a health result.
      await open(page, 'Catalog');
      await page.getByRole('table', { name: 'Catalog entries' }).waitFor();
      await page
        .getByRole('button', { name: /^Health of / })
        .first()
        .click();
      await page.getByRole('button', { name: 'Check now' }).click();
      await page
        .getByRole('table', { name: /^Health checks of / })
        .getByRole('cell', { name: 'up', exact: true })
        .first()
        .waitFor();
      await assertAccessible(page, 'catalog');
      await screenshots(page, 'catalog');

      // Access: users, and an API key shown once.
      await open(page, 'Access');
      await page.getByRole('cell', { name: reader.user, exact: true }).waitFor();
      await assertAccessible(page, 'access');
      await screenshots(page, 'access');
      await page.getByRole('button', { name: 'Service accounts' }).click();
      await page.getByLabel('Service account name').fill('ci-bot');
      await page.getByRole('button', { name: 'Add service account' }).click();
      await page.getByRole('button', { name: 'API keys of ci-bot' }).click();
      await page.getByRole('button', { name: 'Create API key' }).click();
      const shownKey = await page
        .getByRole('alert')
        .filter({ hasText: 'shown only once' })
        .locator('code')
        .innerText();
      assert.match(shownKey, /^arca_k_/);
      const withKey = await apiCall(arca.url, 'GET', '/api/v1/me', { auth: { bearer: shownKey } });
      assert.equal(withKey.status, 200, 'the key shown works');
      await page.getByRole('button', { name: 'I have copied it' }).click();
      assert.equal(await page.getByText(shownKey).count(), 0, 'and is gone once dismissed');
      await assertAccessible(page, 'service accounts');

      await open(page, 'Audit log');
      await page.getByRole('table', { name: 'Audit log' }).getByRole('row').nth(1).waitFor();
      await assertAccessible(page, 'audit');
      await screenshots(page, 'audit');

      // Delete: the registry holds a model, so the console says so and offers the forced delete.
      await open(page, 'Registries');
      await registryRow(page, 'consoles3').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      const held = page.getByRole('alert').filter({ hasText: 'holds' });
      await held.waitFor();
      assert.match(await held.innerText(), /1 assets/);
      await page.getByRole('button', { name: 'Delete consoles3 and everything in it' }).click();
      await page.getByRole('button', { name: /^Yes, delete consoles3/ }).click();
      await registryRow(page, 'consoles3').waitFor({ state: 'detached' });
      assert.equal((await api('GET', '/api/v1/registries/consoles3')).status, 404);

      // Sign-out revokes the refresh token.
      const refresh = await page.evaluate(() => sessionStorage.getItem('arca.console.refresh'));
      assert.ok(refresh);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const reuse = await apiCall(arca.url, 'POST', '/auth/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString(),
      });
      assert.equal(reuse.status, 401, 'a signed-out session cannot be renewed');
      // The one refused request was the delete of a registry that still held a model.
      const errors = consoleErrors.filter((e) => !/status of 409/.test(e));
      assert.deepEqual(errors, [], 'no console errors besides the refused delete');
    } finally {
      await context.close().catch(() => undefined);
    }
  });

  test('each location of a registry shows what replication holds there and what it still owes', async () => {
    const created = await api('POST', '/api/v1/registries', { name: 'replicated', locations: ['west'] });
    assert.equal(created.status, 201);
    const layer = randomBytes(40_000);
    await pushBlob(arca.url, 'replicated/app', layer, admin);
    let seen = '';
    await eventually(
      async () => {
        const view = (await api('GET', '/api/v1/registries/replicated')).body as {
          replication?: { location: string; blobs: number; pending_copies: number }[];
        };
        seen = JSON.stringify(view.replication);
        const west = view.replication?.find((l) => l.location === 'west');
        return west?.blobs === 1 && west.pending_copies === 0;
      },
      `the blob copied to west (replication: ${seen})`,
      { timeoutMs: 30_000 },
    );
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await newPage(context);
      await signIn(page, admin);
      await open(page, 'Registries');
      const west = registryRow(page, 'replicated').locator('[data-location="west"]');
      await west.getByText('in sync').waitFor();
      assert.match(await west.innerText(), /1 blobs, 39 KiB, in sync/);
    } finally {
      await context.close();
    }
    assert.equal((await api('DELETE', '/api/v1/registries/replicated?force=true')).status, 200);
  });

  test('a Reader is offered no create or delete, and a forced request is refused', async () => {
    assert.equal(
      (
        await api('POST', '/api/v1/registries', {
          name: 'readable',
          description: 'for the reader',
        })
      ).status,
      201,
    );
    assert.equal((await api('POST', '/api/v1/registries', { name: 'shared' })).status, 201);
    const meta = await openDatabase(arca.databaseUrl);
    try {
      await fillAssets(meta, 10_000);
    } finally {
      await meta.close();
    }
    consoleErrors.length = 0;
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await newPage(context);
      // By keyboard alone: the user name field has focus, Tab moves on, Enter submits.
      await page.goto(`${arca.url}/ui/`);
      await page.getByLabel('Username').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username');
      await page.keyboard.type(reader.user);
      await page.keyboard.press('Tab');
      await page.keyboard.type(reader.pass);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      const models = page
        .getByRole('navigation', { name: 'Console sections' })
        .getByRole('link', { name: 'Models' });
      await models.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
      await open(page, 'Registries');
      await registryRow(page, 'readable').waitFor();
      for (const name of ['Create registry', 'Edit readable', 'Delete', 'Set readable as default']) {
        assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} for a Reader`);
      }
      const nav = await page.getByRole('navigation', { name: 'Console sections' }).innerText();
      assert.doesNotMatch(nav, /Access|Audit|Credentials/);
      await open(page, 'Models');
      await page.getByRole('heading', { level: 2, name: /Models in/ }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Upload model' }).count(), 0);
      await assertAccessible(page, 'models for a reader');

      // 10,000 models: the console asks the server for one page of 50 at a time.
      const timings: number[] = [];
      const select = page.getByRole('combobox', { name: 'Registry' });
      let started = performance.now();
      await select.selectOption('shared');
      const rows = page.locator('tr[data-asset]');
      await page.locator('tr[data-asset="bulk-000000"]').waitFor();
      timings.push(performance.now() - started);
      assert.equal(await rows.count(), 50);
      started = performance.now();
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.locator('tr[data-asset="bulk-000050"]').waitFor();
      timings.push(performance.now() - started);
      assert.equal(await rows.count(), 50);
      console.log(
        `10,000 models: first page ${Math.round(timings[0]!)} ms, next page ${Math.round(timings[1]!)} ms`,
      );
      for (const ms of timings) assert.ok(ms < 3000, `a page of 10,000 models shows in ${Math.round(ms)} ms`);

      const forced = await page.evaluate(async () => {
        const refresh = sessionStorage.getItem('arca.console.refresh') ?? '';
        const token = await fetch('/auth/token', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString(),
        }).then((r) => r.json() as Promise<{ access_token: string }>);
        const res = await fetch('/api/v1/registries/readable', {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${token.access_token}` },
        });
        return { status: res.status, body: (await res.json()) as { code?: string } };
      });
      assert.equal(forced.status, 403);
      assert.equal(forced.body.code, 'DENIED');
      assert.equal((await api('GET', '/api/v1/registries/readable')).status, 200, 'still there');
      const errors = consoleErrors.filter((e) => !/status of 403/.test(e));
      assert.deepEqual(errors, [], 'no console errors besides the refused request');
    } finally {
      await context.close().catch(() => undefined);
    }
  });
  test('a server without authentication opens the console without a sign-in', async () => {
    const open = await startArca();
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await newPage(context);
      await page.goto(`${open.url}/ui/`);
      await page.getByRole('heading', { level: 1, name: 'Registries' }).waitFor();
      await page.getByRole('button', { name: 'Create registry' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    } finally {
      await context.close().catch(() => undefined);
      await open.stop();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRepo, modelInfo, uploadFiles } from '@huggingface/hub';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { apiClient } from '../helpers/api-client.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { dialects } from '../helpers/dialects.js';

const adminPassword = 'admin-Secret-0042';
const admin: Credentials = { user: 'admin', pass: adminPassword };
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n');
const header = (parentCommit?: string) => ({ key: 'header', value: { summary: 'change', parentCommit } });

for (const dialect of dialects()) {
  describe(`the Hub API: access and bad input (${dialect})`, { timeout: 120_000 }, () => {
    let arca: RunningArca;
    let hubUrl: string;
    const keys: Record<'writer' | 'reader' | 'none', string> = { writer: '', reader: '', none: '' };
    let head = '';

    /** A raw request with a token as the Python client sends it (no `hf_` needed there). */
    const call = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${hubUrl}${path}`, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        },
      });
    const commit = (body: string, token = keys.writer) =>
      call('/api/models/team/m/commit/main', {
        method: 'POST',
        body,
        token,
        headers: { 'Content-Type': 'application/x-ndjson' },
      });
    /** The upload action the LFS batch answers for one object (its href, and part URLs when in parts). */
    const lfsUpload = async (oid: string, size: number) => {
      const answer = await call('/team/m.git/info/lfs/objects/batch', {
        method: 'POST',
        token: keys.writer,
        headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({
          operation: 'upload',
          transfers: ['basic', 'multipart'],
          objects: [{ oid, size }],
        }),
      });
      assert.equal(answer.status, 200);
      const [object] = (
        (await answer.json()) as {
          objects: { actions?: { upload: { href: string; header?: Record<string, string> } } }[];
        }
      ).objects;
      return object!.actions!.upload;
    };
    const headNow = async () =>
      ((await (await call('/api/models/team/m', { token: keys.reader })).json()) as { sha: string }).sha;

    before(async () => {
      arca = await startArca({
        dialect,
        auth: 'arca',
        env: { ARCA_ADMIN_PASSWORD: adminPassword },
        config: { access: { registries: ['team', 'pub'], anonymouspull: ['pub'] } },
      });
      hubUrl = `${arca.url}/hf`;
      const api = apiClient(arca.url, admin);
      const roles = { writer: 'Contributor', reader: 'Reader', none: undefined } as const;
      for (const [who, role] of Object.entries(roles) as [keyof typeof keys, string | undefined][]) {
        await api.ok('POST', '/api/v1/service-accounts', { name: `hub-${who}` });
        for (const registry of who === 'writer' ? ['team', 'pub'] : role ? ['team'] : [])
          await api.ok('POST', '/api/v1/role-assignments', {
            role,
            principal: { kind: 'service-account', name: `hub-${who}` },
            scope: `/registries/${registry}`,
          });
        const created = await api.ok('POST', `/api/v1/service-accounts/hub-${who}/api-keys`, { name: 'hub' });
        keys[who] = created.body.key as string;
      }
      const writer = { hubUrl, accessToken: `hf_${keys.writer}` };
      await createRepo({ ...writer, repo: 'team/m' });
      const done = await uploadFiles({
        ...writer,
        repo: 'team/m',
        files: [{ path: 'a.txt', content: new Blob(['a']) }],
      });
      head = done!.commit.oid;
      await createRepo({ ...writer, repo: 'pub/open' });
      await uploadFiles({
        ...writer,
        repo: 'pub/open',
        files: [{ path: 'b.txt', content: new Blob(['b']) }],
      });
    });
    after(async () => {
      await arca?.stop();
    });

    test('reads need registries/assets/read; anonymous reads only where anonymous pulls are allowed', async () => {
      const info = await modelInfo({
        name: 'team/m',
        hubUrl,
        accessToken: `hf_${keys.reader}`,
        additionalFields: ['sha'],
      });
      assert.equal((info as unknown as { sha: string }).sha, head);
      for (const token of [keys.none, undefined]) {
        const resolve = await call('/team/m/resolve/main/a.txt', { method: 'GET', token });
        assert.equal(resolve.status, 401);
        assert.equal(resolve.headers.get('x-error-code'), 'RepoNotFound');
        assert.match(((await resolve.json()) as { error: string }).error, /Repository not found/);
      }
      const open = await call('/pub/open/resolve/main/b.txt');
      assert.equal(open.status, 200);
      assert.equal(await open.text(), 'b');
      const bad = await call('/pub/open/resolve/main/b.txt', { token: 'hf_arca_k_not-a-key' });
      assert.equal(bad.status, 401);
      const missing = await call('/team/absent/resolve/main/a.txt', { token: keys.reader });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('x-error-code'), 'RepoNotFound');
    });

    test('commits need registries/assets/write', async () => {
      await assert.rejects(
        uploadFiles({
          hubUrl,
          accessToken: `hf_${keys.reader}`,
          repo: 'team/m',
          files: [{ path: 'x', content: new Blob(['x']) }],
        }),
        /rights to write/,
      );
      const refused = await commit(ndjson([header()]), keys.reader);
      assert.equal(refused.status, 403);
      const anonymous = await call('/api/models/team/m/commit/main', {
        method: 'POST',
        body: ndjson([header()]),
      });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get('x-error-code'), 'RepoNotFound');
      const create = await call('/api/repos/create', {
        method: 'POST',
        token: keys.reader,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'other', organization: 'team' }),
      });
      assert.equal(create.status, 403);
      // What a browser could send to another site without asking: refused, whatever the credentials.
      const form = await call('/api/repos/create', {
        method: 'POST',
        token: keys.writer,
        body: new URLSearchParams({ name: 'other', organization: 'team' }),
      });
      assert.equal(form.status, 415);
      const plain = await call('/api/models/team/m/commit/main', {
        method: 'POST',
        token: keys.writer,
        headers: { 'Content-Type': 'text/plain' },
        body: ndjson([header()]),
      });
      assert.equal(plain.status, 415);
      assert.equal(await headNow(), head);
    });

    test('bad commits are refused with the Hub status and a message, the repository unchanged', async () => {
      const file = (path: string) => ({
        key: 'file',
        value: { path, content: Buffer.from('x').toString('base64'), encoding: 'base64' },
      });
      const cases: [string, string, number, RegExp][] = [
        ['a parent path', ndjson([header(), file('../escape')]), 400, /'\.\.' segment/],
        ['an absolute path', ndjson([header(), file('/etc/passwd')]), 400, /absolute/],
        ['a NUL', ndjson([header(), file('a\u0000b')]), 400, /NUL/],
        [
          'an LFS object never uploaded',
          ndjson([
            header(),
            {
              key: 'lfsFile',
              value: { path: 'w.bin', algo: 'sha256', oid: sha256(randomBytes(8)), size: 8 },
            },
          ]),
          400,
          /never uploaded/,
        ],
        [
          'a malformed line',
          `${JSON.stringify(header())}\n{"key": "file", "value": {`,
          400,
          /Invalid JSON in line 2/,
        ],
        ['no header', ndjson([file('x.txt')]), 400, /header/],
        [
          'a parent that is not the head',
          ndjson([header('0'.repeat(40)), file('x.txt')]),
          412,
          /commit has happened/,
        ],
        ['a branch', '', 400, /main only/],
      ];
      for (const [what, body, status, message] of cases) {
        const answer =
          what === 'a branch'
            ? await call('/api/models/team/m/commit/dev', {
                method: 'POST',
                body,
                token: keys.writer,
                headers: { 'Content-Type': 'application/x-ndjson' },
              })
            : await commit(body);
        assert.equal(answer.status, status, what);
        assert.match(((await answer.json()) as { error: string }).error, message, what);
      }
      assert.equal(await headNow(), head, 'no commit was made');
      const ok = await commit(ndjson([header(head), file('x.txt')]));
      assert.equal(ok.status, 200);
      head = ((await ok.json()) as { commitOid: string }).commitOid;
    });

    test('LFS bytes that do not match their oid or size are refused', async () => {
      const bytes = randomBytes(2 * 1024 * 1024);
      const oid = sha256(bytes);
      const batch = async () => (await lfsUpload(oid, bytes.length)).href;
      const other = Buffer.from(bytes);
      other[0] = other[0]! ^ 1;
      const wrongBytes = await fetch(await batch(), { method: 'PUT', body: other });
      assert.equal(wrongBytes.status, 400);
      assert.match(((await wrongBytes.json()) as { error: string }).error, /did not match/);
      const wrongSize = await fetch(await batch(), { method: 'PUT', body: bytes.subarray(1) });
      assert.equal(wrongSize.status, 400);
      const lfs = ndjson([
        header(),
        { key: 'lfsFile', value: { path: 'w.bin', algo: 'sha256', oid, size: bytes.length } },
      ]);
      assert.equal((await commit(lfs)).status, 400, 'nothing was stored');
      const unknownUpload = await fetch(
        (await batch()).replace(/lfs\/[^/?]+/, `lfs/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`),
        {
          method: 'PUT',
          body: bytes,
        },
      );
      assert.equal(unknownUpload.status, 404);
      const good = await fetch(await batch(), { method: 'PUT', body: bytes });
      assert.equal(good.status, 200);
      assert.equal((await commit(lfs)).status, 200);
    });

    test('multipart LFS: a part of the wrong size, an oversized or foreign completion and a completion before the parts are refused; nothing is stored until the right parts complete', async () => {
      const MiB = 1024 * 1024;
      const bytes = randomBytes(33 * MiB);
      const oid = sha256(bytes);
      const { href, header: partUrls } = await lfsUpload(oid, bytes.length);
      const parts = partUrls!;
      const partSize = Number(parts.chunk_size);
      assert.equal(partSize, 32 * MiB);
      const error = async (res: Response) => ((await res.json()) as { error: string }).error;
      const complete = (body: string) =>
        fetch(href, { method: 'POST', headers: { 'Content-Type': 'application/vnd.git-lfs+json' }, body });

      const short = await fetch(parts['1']!, { method: 'PUT', body: bytes.subarray(0, partSize - 1) });
      assert.equal(short.status, 400);
      assert.match(await error(short), /part 1 has \d+ bytes/);
      const early = await complete(JSON.stringify({ oid, parts: [] }));
      assert.equal(early.status, 400, 'a completion before the parts');
      assert.match(await error(early), /bytes/);
      // The failed completion dropped the upload: a new batch starts over.
      const retry = await lfsUpload(oid, bytes.length);
      const oversized = await fetch(retry.href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ oid, padding: 'x'.repeat(2 * MiB) }),
      });
      assert.equal(oversized.status, 413);
      assert.ok((await error(oversized)).length > 0);
      const foreign = await fetch(retry.href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ oid: sha256('another object') }),
      });
      assert.equal(foreign.status, 400);
      assert.match(await error(foreign), /another object/);
      const lfs = ndjson([
        header(),
        { key: 'lfsFile', value: { path: 'parts.bin', algo: 'sha256', oid, size: bytes.length } },
      ]);
      assert.equal((await commit(lfs)).status, 400, 'not stored before the parts complete');
      // Parts in reverse order: the second waits for the first, then both are stored in order.
      const second = fetch(retry.header!['2']!, { method: 'PUT', body: bytes.subarray(partSize) });
      const first = await fetch(retry.header!['1']!, { method: 'PUT', body: bytes.subarray(0, partSize) });
      assert.equal(first.status, 200);
      assert.equal((await second).status, 200);
      const done = await fetch(retry.href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ oid, parts: [] }),
      });
      assert.equal(done.status, 200, await done.clone().text());
      assert.equal((await commit(lfs)).status, 200);
    });

    test('tree listings come in pages linked by an absolute Link', async () => {
      const content = Buffer.from('same').toString('base64');
      const lines: unknown[] = [header()];
      for (let i = 0; i < 1001; i++)
        lines.push({
          key: 'file',
          value: { path: `many/f${String(i).padStart(4, '0')}`, content, encoding: 'base64' },
        });
      assert.equal((await commit(ndjson(lines))).status, 200);
      const first = await call('/api/models/team/m/tree/main/many', { token: keys.reader });
      const page = (await first.json()) as { path: string }[];
      assert.equal(page.length, 1000);
      const next = /^<(http:\/\/[^>]+)>; rel="next"$/.exec(first.headers.get('link') ?? '')?.[1];
      assert.ok(next, 'a Link to the next page');
      const second = (await (
        await fetch(next, { headers: { Authorization: `Bearer ${keys.reader}` } })
      ).json()) as { path: string }[];
      assert.deepEqual(
        second.map((e) => e.path),
        ['many/f1000'],
      );
      head = await headNow();
    });
  });
}

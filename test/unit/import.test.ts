import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseLinkPath, blobDataPath } from '../../src/import/layout.js';
import { childDigests, manifestOrder } from '../../src/import/manifest-order.js';
import { readRegistry2Storage } from '../../src/import/registry2-config.js';
import { scanSource } from '../../src/import/scan.js';
import { filesystemSource } from '../../src/import/filesystem-source.js';
import { createReporter } from '../../src/import/reporter.js';
import { emptySummary, renderSummary, repositoryResult } from '../../src/import/summary.js';
import { withTempDir } from '../helpers/tmp.js';

const a = `sha256:${'a'.repeat(64)}`;
const b = `sha256:${'b'.repeat(64)}`;
const c = `sha256:${'c'.repeat(64)}`;
const repos = 'docker/registry/v2/repositories';

test('registry:2 link paths: layers, revisions and current tags of nested repositories; the rest ignored', () => {
  assert.deepEqual(parseLinkPath(`${repos}/a/b/c/_layers/sha256/${'a'.repeat(64)}/link`), {
    repository: 'a/b/c',
    kind: 'layer',
    digest: a,
  });
  assert.deepEqual(parseLinkPath(`${repos}/x/_manifests/revisions/sha256/${'b'.repeat(64)}/link`), {
    repository: 'x',
    kind: 'revision',
    digest: b,
  });
  assert.deepEqual(parseLinkPath(`${repos}/x/y/_manifests/tags/v1.0/current/link`), {
    repository: 'x/y',
    kind: 'tag',
    tag: 'v1.0',
  });
  for (const ignored of [
    `${repos}/x/_manifests/tags/v1/index/sha256/${'b'.repeat(64)}/link`,
    `${repos}/x/_uploads/0b0e/data`,
    `${repos}/x/_uploads/0b0e/startedat`,
    `${repos}/_layers/sha256/${'a'.repeat(64)}/link`,
    `docker/registry/v2/blobs/sha256/aa/${'a'.repeat(64)}/data`,
    `${repos}/x/somefile`,
  ]) {
    assert.equal(parseLinkPath(ignored), null, ignored);
  }
  assert.equal(parseLinkPath(`${repos}/x/_layers/sha256/zz/link`)?.kind, 'invalid');
  assert.equal(blobDataPath(a), `docker/registry/v2/blobs/sha256/aa/${'a'.repeat(64)}/data`);
});

test('manifests are ordered children first, nested indexes too', () => {
  assert.deepEqual(
    manifestOrder([
      { digest: a, children: [b, c] },
      { digest: b, children: [c] },
      { digest: c, children: [] },
    ]),
    [c, b, a],
  );
  // Children outside the set are someone else's concern; a cycle cannot recurse forever.
  assert.deepEqual(manifestOrder([{ digest: a, children: ['sha256:other'] }]), [a]);
  assert.deepEqual(
    manifestOrder([
      { digest: a, children: [b] },
      { digest: b, children: [a] },
    ]),
    [b, a],
  );
  assert.deepEqual(childDigests(Buffer.from(JSON.stringify({ manifests: [{ digest: a }, { digest: b }] }))), [
    a,
    b,
  ]);
  assert.deepEqual(childDigests(Buffer.from('{"layers":[]}')), []);
  assert.deepEqual(childDigests(Buffer.from('not json')), []);
});

test('a registry:2 config names its filesystem root or its s3 bucket; other drivers are refused by name', async () => {
  await withTempDir(async (dir) => {
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      return writeFile(path, text).then(() => path);
    };
    assert.deepEqual(
      readRegistry2Storage(
        await file(
          'fs.yml',
          'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv/r\n  delete:\n    enabled: true\n',
        ),
      ),
      { driver: 'filesystem', rootdirectory: '/srv/r' },
    );
    assert.deepEqual(
      readRegistry2Storage(
        await file('bare.yml', 'storage:\n  filesystem:\n  cache:\n    blobdescriptor: inmemory\n'),
      ),
      { driver: 'filesystem', rootdirectory: '/var/lib/registry' },
    );
    const s3 = readRegistry2Storage(
      await file(
        's3.yml',
        [
          'storage:',
          '  s3:',
          '    bucket: images',
          '    region: auto',
          '    regionendpoint: https://s3.example.com',
          '    accesskey: 0123',
          '    secretkey: secret',
          '    chunksize: 5242880',
          '    secure: true',
          '    v4auth: yes',
          '    rootdirectory: /registry',
          '    keyid:',
          '  redirect:',
          '    disable: true',
          '',
        ].join('\n'),
      ),
    );
    assert.equal(s3.driver, 's3');
    assert.ok(s3.driver === 's3');
    assert.deepEqual(
      {
        bucket: s3.s3.bucket,
        region: s3.s3.region,
        endpoint: s3.s3.regionendpoint,
        accesskey: s3.s3.accesskey,
        chunksize: s3.s3.chunksize,
        v4auth: s3.s3.v4auth,
        rootdirectory: s3.s3.rootdirectory,
        keyid: s3.s3.keyid,
        copychunk: s3.s3.multipartcopychunksize,
      },
      {
        bucket: 'images',
        region: 'auto',
        endpoint: 'https://s3.example.com',
        accesskey: '0123',
        chunksize: 5242880,
        v4auth: true,
        rootdirectory: '/registry',
        keyid: undefined,
        copychunk: 32 * 1024 * 1024,
      },
    );
    assert.throws(
      () => readRegistry2Storage(join(dir, 'absent.yml')),
      /cannot read registry:2 config .*absent\.yml/,
    );
    for (const [name, text, pattern] of [
      ['s3-nobucket.yml', 'storage:\n  s3:\n    region: auto\n', /storage\.s3\.bucket: required/],
      [
        's3-unknown.yml',
        'storage:\n  s3:\n    bucket: b\n    colour: red\n',
        /unknown key 'storage\.s3\.colour'/,
      ],
      ['s3-chunk.yml', 'storage:\n  s3:\n    bucket: b\n    chunksize: 1024\n', /storage\.s3\.chunksize/],
      ['gcs.yml', 'storage:\n  gcs:\n    bucket: b\n', /storage driver 'gcs'/],
      [
        'two.yml',
        'storage:\n  s3: {}\n  filesystem: {}\n',
        /expected one storage driver, found s3, filesystem/,
      ],
      ['none.yml', 'version: 0.1\n', /has no storage section/],
      ['bad.yml', 'storage: [\n', /is not valid YAML/],
      ['root.yml', 'storage:\n  filesystem:\n    rootdirectory: 3\n', /rootdirectory must be a path/],
    ] as const) {
      assert.throws(() => readRegistry2Storage(join(dir, name)), /cannot read/);
      const path = await file(name, text);
      assert.throws(() => readRegistry2Storage(path), pattern, name);
    }
  });
});

test('a scan lists repositories from their links, and reports names it cannot import', async () => {
  await withTempDir(async (dir) => {
    const touch = async (path: string, content = '') => {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    };
    await assert.rejects(filesystemSource(join(dir, 'missing')), /does not exist/);
    await assert.rejects(scanSource(await filesystemSource(dir)), /not a registry:2 storage tree/);
    await touch(`${repos}/lib/app/_layers/sha256/${'b'.repeat(64)}/link`, b);
    await touch(`${repos}/lib/app/_layers/sha256/${'a'.repeat(64)}/link`, a);
    await touch(`${repos}/lib/app/_manifests/revisions/sha256/${'c'.repeat(64)}/link`, c);
    await touch(`${repos}/lib/app/_manifests/tags/v1/current/link`, c);
    await touch(`${repos}/lib/app/_uploads/u1/data`, 'partial');
    await touch(`${repos}/lib/app/sub/_layers/sha256/${'a'.repeat(64)}/link`, a);
    await touch(`${repos}/Upper/_layers/sha256/${'a'.repeat(64)}/link`, a);
    await touch(`${repos}/lib/app/_manifests/tags/.bad/current/link`, c);
    const { repositories, problems } = await scanSource(await filesystemSource(dir));
    assert.deepEqual(repositories, [
      { name: 'lib/app', layers: [a, b], revisions: [c], tags: ['v1'] },
      { name: 'lib/app/sub', layers: [a], revisions: [], tags: [] },
    ]);
    assert.deepEqual(problems.map((p) => [p.repository, p.item]).sort(), [
      ['Upper', undefined],
      ['lib/app', 'tag .bad'],
    ]);
  });
});

test('without a terminal, a line per repository; on one, a bar redrawn in place', () => {
  let plain = '';
  const lines = createReporter({ out: { write: (t: string) => (plain += t) }, tty: false });
  lines.started({ repositories: 2, items: 10, bytes: 2048 });
  lines.progress({ items: 5, bytes: 1024 });
  const r = repositoryResult('lib/app', true);
  r.blobs.new = 3;
  r.blobs.copied = 3;
  r.bytesCopied = 1024;
  r.tags.skipped = 1;
  lines.repositoryFinished(r, 0);
  lines.problem({ severity: 'error', repository: 'lib/x', item: `blob ${a}`, message: 'corrupt' });
  lines.finished();
  assert.equal(
    plain,
    'importing 2 repositories: 10 blob links, manifests and tags; 2.0 KiB of blobs\n' +
      '[1/2] lib/app: 0 tags, 0 manifests, 3 blobs new; 1 already in Arca; 1.0 KiB copied\n' +
      `error: lib/x blob ${a}: corrupt\n`,
  );

  let tty = '';
  const bar = createReporter({ out: { write: (t: string) => (tty += t) }, tty: true, columns: 200 });
  bar.started({ repositories: 1, items: 4, bytes: 100 });
  bar.repositoryStarted('lib/app', 0);
  bar.progress({ items: 4, bytes: 100 });
  bar.repositoryFinished(repositoryResult('lib/app', false), 0);
  bar.finished();
  assert.match(tty, /\r\[#{20}\] 100% {2}100 B \/ 100 B {2}items 4\/4 {2}repo 1\/1 lib\/app\x1b\[K/);
  assert.ok(tty.endsWith('\r\x1b[K'), 'the bar is cleared at the end');
  assert.ok(!tty.includes('\n'));
});

test('the summary names its counts, then each problem', () => {
  const s = emptySummary('/srv/r (filesystem)', false);
  s.repositories = { total: 2, new: 1, failed: 1 };
  s.blobs = { new: 4, skipped: 1, failed: 1, copied: 3, missing: 0 };
  s.errors.push({ severity: 'error', repository: 'x', item: `blob ${a}`, message: 'corrupt' });
  const text = renderSummary(s);
  assert.match(text, /^import finished \(source: \/srv\/r \(filesystem\)/);
  assert.match(text, /repositories {2}2 \(1 created, 1 with errors\)/);
  assert.match(text, /blobs {9}4 new, 1 already in Arca, 1 failed \(3 copied, 1 linked\)/);
  assert.match(text, /errors {8}1\n {2}error: x blob sha256:a+: corrupt\n$/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assetRepository,
  checkAssetUri,
  checkName,
  checkVersion,
  keyValues,
} from '../../src/cli/assets/asset-rules.js';
import { readAzureAsset } from '../../src/cli/assets/azure-asset-yaml.js';
import { checkFilePaths } from '../../src/cli/transfer/file-path.js';
import { PushState } from '../../src/cli/transfer/push-state.js';
import { withTempDir } from '../helpers/tmp.js';

test('asset names and versions follow the contract', () => {
  for (const ok of ['tiny-llm', 'a', 'x.y_z-1', 'a'.repeat(128)]) assert.equal(checkName(ok), ok);
  for (const bad of ['Tiny', '-a', 'a-', 'a--b', 'a/b', '../x', '', 'a'.repeat(129), 'a b'])
    assert.throws(() => checkName(bad), /--name/, bad);
  for (const ok of ['1', '2024-06', 'v1.2.3', '_x', 'A'.repeat(128)]) assert.equal(checkVersion(ok), ok);
  for (const bad of ['-1', '.1', '../1', '1/2', '', 'A'.repeat(129), '1 2'])
    assert.throws(() => checkVersion(bad), /--version/, bad);
  assert.equal(assetRepository('Team', 'dataset', 'reviews'), 'team/datasets/reviews');
});

test('lineage addresses and key=value options are checked', () => {
  for (const ok of [
    'arca://registries/team/datasets/corpus/versions/1',
    'azureml://registries/shared/data/reviews/versions/2024-06',
    'azureml:tiny-llm@latest',
    'tiny-llm:1',
    'corpus@production',
  ])
    assert.equal(checkAssetUri(ok, '--lineage'), ok);
  for (const bad of ['http://x', 'just-a-name', '/abs/path', 'https://example.com/a:b'])
    assert.throws(() => checkAssetUri(bad, '--lineage'), /--lineage/, bad);
  assert.deepEqual(keyValues(['a=1', 'b=x=y', 'c='], '--tag'), { a: '1', b: 'x=y', c: '' });
  assert.equal(keyValues([], '--tag'), undefined);
  assert.throws(() => keyValues(['=1'], '--tag'), /--tag "=1": expected key=value/);
});

test('file paths: relative, no .., no NUL, unique, no file that is also a folder', () => {
  checkFilePaths(['a', 'b/c', 'b/d/e'], 'x');
  for (const [paths, message] of [
    [['../x'], /'\.\.' segment/],
    [['/etc/passwd'], /absolute/],
    [['a\u0000b'], /NUL/],
    [['a//b'], /empty segment/],
    [['a\\b'], /\\/],
    [['a', 'a'], /twice/],
    [['a', 'a/b'], /both a file and the folder/],
    [[null], /without a usable path/],
  ] as [(string | null)[], RegExp][])
    assert.throws(() => checkFilePaths(paths, 'x'), message, JSON.stringify(paths));
});

test('Azure YAML: metadata, type and spec as given; local paths become files', async () => {
  await withTempDir(async (dir) => {
    mkdirSync(join(dir, 'model', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'model', 'w.bin'), 'w');
    writeFileSync(join(dir, 'model', 'sub', 'c.json'), '{}');
    writeFileSync(join(dir, 'conda.yml'), 'name: x\n');
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(
      join(dir, 'model.yml'),
      'name: tiny-llm\nversion: 1\ntype: custom_model\npath: ./model\ndescription: d\ntags: {task: t, n: 3}\n',
    );
    const model = await readAzureAsset('model', join(dir, 'model.yml'));
    assert.equal(model.version, '1');
    assert.deepEqual(model.metadata, {
      description: 'd',
      tags: { task: 't', n: '3' },
      type: 'custom_model',
      spec: { type: 'custom_model', path: './model' },
    });
    assert.deepEqual(
      model.files.map((f) => f.path),
      ['sub/c.json', 'w.bin'],
    );
    writeFileSync(
      join(dir, 'env.yml'),
      'name: e\nversion: 3\nconda_file: ./conda.yml\nbuild: {path: ./ctx}\nos_type: linux\n',
    );
    const env = await readAzureAsset('environment', join(dir, 'env.yml'));
    assert.deepEqual(
      env.files.map((f) => f.path),
      ['conda.yml', 'build/Dockerfile'],
    );
    assert.equal(env.metadata.type, undefined);
    for (const [text, message] of [
      ['version: 1\npath: ./model\n', /name is required/],
      ['name: x\npath: ./model\n', /version is required/],
      ['name: x\nversion: 1\npath: azureml://datastores/x/paths/y\n', /only local paths are uploaded/],
      ['name: x\nversion: 1\npath: ./nope\n', /no such file or folder/],
      ['name: [x\n', /not valid YAML/],
      ['- a\n- b\n', /expected a mapping/],
    ] as [string, RegExp][]) {
      writeFileSync(join(dir, 'bad.yml'), text);
      await assert.rejects(readAzureAsset('model', join(dir, 'bad.yml')), message, text);
    }
  });
});

test('the push state remembers a digest only for the same size and modification time', async () => {
  await withTempDir(async (dir) => {
    const previous = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = dir;
    try {
      const key = ['http://s', 'r/models/m', '1', '/data'];
      const state = PushState.open(key);
      state.get('a', 10, 1000);
      state.update('a', { digest: 'sha256:aa', upload: '/v2/r/models/m/blobs/uploads/x' });
      const again = PushState.open(key);
      assert.equal(again.get('a', 10, 1000).digest, 'sha256:aa');
      assert.equal(again.get('a', 10, 1000).upload, '/v2/r/models/m/blobs/uploads/x');
      assert.equal(
        PushState.open(key).get('a', 11, 1000).digest,
        undefined,
        'a changed file is hashed again',
      );
      assert.equal(
        PushState.open(['http://s', 'r/models/m', '2', '/data']).get('a', 10, 1000).digest,
        undefined,
      );
      writeFileSync(again.file, '{not json');
      assert.equal(PushState.open(key).get('a', 10, 1000).digest, undefined, 'a damaged state starts over');
      again.remove();
    } finally {
      if (previous === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = previous;
    }
  });
});

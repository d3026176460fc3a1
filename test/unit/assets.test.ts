import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkCard,
  endOfArchive,
  fileHeader,
  filePathProblem,
  parseAssetAddress,
  parsePublishInput,
  recognizeVersion,
} from '../../src/assets/index.js';
import { isAppError } from '../../src/errors/index.js';
import type { ParsedManifest } from '../../src/oci/index.js';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function manifest(
  config: string,
  layers: { mediaType: string; annotations?: Record<string, string> }[],
  extra: Partial<ParsedManifest> = {},
): ParsedManifest {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    kind: 'image',
    blobs: [
      { mediaType: config, digest: d(1), size: 2 },
      ...layers.map((l, i) => ({ ...l, digest: d(i + 2), size: 10 + i })),
    ],
    manifests: [],
    subject: null,
    artifactType: null,
    annotations: null,
    ...extra,
  };
}

describe('asset file paths', () => {
  test('relative paths pass; hostile ones are refused with the reason', () => {
    for (const ok of ['a.bin', 'dir/sub/file.json', 'weights/model-00001-of-00002.safetensors', 'é/ü.txt'])
      assert.equal(filePathProblem(ok), undefined, ok);
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['../../x', /'\.\.'/],
      ['a/../b', /'\.\.'/],
      ['/etc/passwd', /absolute/],
      ['a\u0000b', /NUL/],
      ['a\nb', /control/],
      ['a//b', /empty segment/],
      ['a/', /empty segment/],
      ['./a', /'\.'/],
      ['a\\..\\b', /'\\'/],
      ['C:evil', /drive/],
      ['x'.repeat(1025), /1024/],
    ];
    for (const [path, why] of bad) assert.match(filePathProblem(path) ?? 'passed', why, JSON.stringify(path));
  });
});

describe('asset addresses', () => {
  test('every documented form', () => {
    assert.deepEqual(parseAssetAddress('arca://registries/shared/models/tiny-llm/versions/1'), {
      registry: 'shared',
      kind: 'model',
      name: 'tiny-llm',
      version: '1',
    });
    assert.deepEqual(parseAssetAddress('arca://registries/shared/models/tiny-llm/labels/production'), {
      registry: 'shared',
      kind: 'model',
      name: 'tiny-llm',
      label: 'production',
    });
    assert.deepEqual(parseAssetAddress('azureml://registries/shared/data/reviews/versions/2024-06'), {
      registry: 'shared',
      kind: 'dataset',
      name: 'reviews',
      version: '2024-06',
    });
    assert.deepEqual(
      parseAssetAddress('azureml://registries/shared/environments/pytorch-infer/labels/latest'),
      {
        registry: 'shared',
        kind: 'environment',
        name: 'pytorch-infer',
        label: 'latest',
      },
    );
    assert.deepEqual(parseAssetAddress('azureml:train_model:1'), { name: 'train_model', version: '1' });
    assert.deepEqual(parseAssetAddress('azureml:tiny-llm@latest'), { name: 'tiny-llm', label: 'latest' });
    assert.deepEqual(parseAssetAddress('tiny-llm:3'), { name: 'tiny-llm', version: '3' });
    assert.deepEqual(parseAssetAddress('tiny-llm@champion'), { name: 'tiny-llm', label: 'champion' });
  });

  test('anything else is ASSET_ADDRESS_INVALID', () => {
    for (const bad of [
      '',
      'tiny-llm',
      'arca://registries/shared/models/tiny-llm',
      'arca://registries/shared/data/x/versions/1',
      'arca://registries/shared/widgets/x/versions/1',
      'arca://registries/shared/models/Tiny/versions/1',
      'arca://registries/shared/models/x/versions/../1',
      'arca://registries/shared/models/x/tags/1',
      'azureml:x:.1',
      'x'.repeat(2000),
    ]) {
      assert.throws(
        () => parseAssetAddress(bad),
        (e: unknown) => isAppError(e) && e.code === 'ASSET_ADDRESS_INVALID',
        bad,
      );
    }
  });
});

describe('cards and publish input', () => {
  test('the LLMOS cards round-trip; a bad field is named', () => {
    const model = {
      description: 'tiny',
      metadata: {
        tags: ['llm'],
        license: 'apache-2.0',
        datasets: ['reviews'],
        metrics: ['accuracy'],
        language: ['en'],
        libraryName: 'transformers',
        libraryVersion: '4.44',
        framework: 'pytorch',
        baseModel: 'base',
      },
    };
    assert.deepEqual(checkCard('model', model), model);
    const dataset = {
      description: 'd',
      metadata: {
        splitTypes: ['train', 'test'],
        features: ['text'],
        numSamples: 10,
        citation: 'c',
        homepage: 'h',
        authors: ['a'],
      },
    };
    assert.deepEqual(checkCard('dataset', dataset), dataset);
    assert.throws(() => checkCard('dataset', { metadata: { numSamples: -1 } }), /card\.metadata\.numSamples/);
    assert.throws(() => checkCard('model', { metadata: { datasets: 'x' } }), /card\.metadata\.datasets/);
  });

  test("Azure's four examples as spec; wrong types named", () => {
    assert.equal(
      parsePublishInput('model', { version: 1, type: 'custom_model', files: [] }).type,
      'custom_model',
    );
    assert.equal(
      parsePublishInput('dataset', { version: '2024-06', type: 'uri_folder', files: [] }).type,
      'uri_folder',
    );
    const env = parsePublishInput('environment', {
      version: 3,
      spec: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04', conda_file: './conda.yml' },
      files: [],
    });
    assert.equal(env.spec?.image, 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04');
    const component = parsePublishInput('component', {
      version: 1,
      spec: {
        type: 'command',
        display_name: 'Train',
        inputs: { training_data: { type: 'uri_folder' } },
        code: './src',
        environment: 'azureml://registries/shared/environments/pytorch-infer/versions/3',
        command: 'python train.py',
      },
      files: [],
    });
    assert.equal(component.type, 'command');
    assert.throws(
      () => parsePublishInput('environment', { version: 1, spec: { os_type: 'linux' }, files: [] }),
      /spec\.image/,
    );
    assert.throws(() => parsePublishInput('dataset', { version: 1, type: 'csv', files: [] }), /spec\.type/);
  });
});

describe('recognition of pushed artifacts', () => {
  test('ModelPack (new and vnd.cnai names) in <r>/models/<name> with a tag; files from annotations', () => {
    for (const config of [
      'application/vnd.cncf.model.config.v1+json',
      'application/vnd.cnai.model.config.v1+json',
    ]) {
      const r = recognizeVersion(
        'shared/models/llama',
        'v1',
        manifest(config, [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            annotations: { 'org.cncf.model.filepath': 'model.safetensors' },
          },
          {
            mediaType: 'application/vnd.cncf.model.doc.v1.raw',
            annotations: { 'org.opencontainers.image.title': 'README.md' },
          },
        ]),
      );
      assert.equal(r?.format, 'modelpack');
      assert.deepEqual(
        r?.files.map((f) => f.path),
        ['model.safetensors', 'README.md'],
      );
      assert.deepEqual(r?.flags, []);
    }
  });

  test('a KitOps ModelKit takes paths from its Kitfile', () => {
    const r = recognizeVersion(
      'shared/models/kit',
      'v2',
      manifest('application/vnd.kitops.modelkit.config.v1+json', [
        { mediaType: 'application/vnd.kitops.modelkit.model.v1.tar' },
        { mediaType: 'application/vnd.kitops.modelkit.docs.v1.tar' },
      ]),
      {
        manifestVersion: '1.0',
        package: { name: 'kit' },
        model: { path: 'model.gguf' },
        docs: [{ path: 'README.md' }],
      },
    );
    assert.equal(r?.format, 'modelkit');
    assert.deepEqual(
      r?.files.map((f) => f.path),
      ['model.gguf', 'README.md'],
    );
  });

  test('hostile titles are never paths: the layer is listed without one and the version flagged', () => {
    const r = recognizeVersion(
      'shared/models/evil',
      'v1',
      manifest('application/vnd.cncf.model.config.v1+json', [
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          annotations: { 'org.opencontainers.image.title': '../../x' },
        },
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          annotations: { 'org.opencontainers.image.title': '/etc/cron.d/x' },
        },
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          annotations: { 'org.opencontainers.image.title': 'a\u0000b' },
        },
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          annotations: { 'org.opencontainers.image.title': 'ok.bin' },
        },
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          annotations: { 'org.opencontainers.image.title': 'ok.bin' },
        },
      ]),
    );
    assert.deepEqual(
      r?.files.map((f) => f.path),
      [null, null, null, 'ok.bin', null],
    );
    assert.equal(r?.flags.length, 4);
  });

  test('what is not a version: other repositories, no tag, other kinds, plain images', () => {
    const mp = manifest('application/vnd.cncf.model.config.v1+json', []);
    assert.equal(recognizeVersion('team/app', 'v1', mp), undefined);
    assert.equal(recognizeVersion('shared/models/x', null, mp), undefined);
    assert.equal(recognizeVersion('shared/datasets/x', 'v1', mp), undefined);
    assert.equal(
      recognizeVersion('shared/models/x', 'v1', manifest('application/vnd.oci.image.config.v1+json', [])),
      undefined,
    );
    const marked = manifest(
      'application/vnd.oci.image.config.v1+json',
      [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
      {
        annotations: { 'ai.arca.asset.kind': 'model' },
      },
    );
    assert.equal(recognizeVersion('shared/models/x', 'v1', marked)?.format, 'image');
  });
});

describe('tar headers', () => {
  test('a tar the system tar reads back: short, long (pax) and nested paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arca-tar-'));
    try {
      const entries: [string, Buffer][] = [
        ['a.txt', Buffer.from('hello')],
        [`deep/${'x'.repeat(150)}/b.bin`, Buffer.alloc(1000, 1)],
        ['empty', Buffer.alloc(0)],
      ];
      const parts: Buffer[] = [];
      for (const [path, bytes] of entries) {
        parts.push(fileHeader(path, bytes.length), bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512));
      }
      parts.push(endOfArchive);
      writeFileSync(join(dir, 'v.tar'), Buffer.concat(parts));
      const listed = execFileSync('tar', ['-tf', join(dir, 'v.tar')])
        .toString()
        .trim()
        .split('\n');
      assert.deepEqual(
        listed,
        entries.map(([p]) => p),
      );
      execFileSync('tar', ['-xf', join(dir, 'v.tar'), '-C', dir]);
      for (const [path, bytes] of entries) assert.deepEqual(readFileSync(join(dir, path)), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { skopeoCopy } from '../helpers/skopeo.js';
import { makeTempDir } from '../helpers/tmp.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** An OCI image layout on disk holding one manifest (and its blobs), tagged `tag`. */
function writeLayout(
  dir: string,
  tag: string,
  config: { mediaType: string; bytes: Buffer },
  layers: [Layer, Buffer][],
  artifactType?: string,
): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Buffer) => writeFileSync(join(dir, 'blobs', 'sha256', sha(bytes).slice(7)), bytes);
  put(config.bytes);
  for (const [, bytes] of layers) put(bytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifest,
      ...(artifactType ? { artifactType } : {}),
      config: { mediaType: config.mediaType, digest: sha(config.bytes), size: config.bytes.length },
      layers: layers.map(([l]) => l),
    }),
  );
  put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: ociManifest,
          digest: sha(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
}

/** Files of the one manifest of a layout, by their title annotation. */
function layoutFiles(dir: string): Map<string, Buffer> {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const blob = (digest: string) => readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)));
  const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString()) as { layers: Layer[] };
  return new Map(
    manifest.layers.map((l) => [l.annotations!['org.opencontainers.image.title']!, blob(l.digest)]),
  );
}

for (const dialect of dialects()) {
  describe(`assets over a real server (${dialect})`, () => {
    let arca: RunningArca;
    const tmp = makeTempDir('arca-assets-');
    const host = () => new URL(arca.url).host;
    const api = (path: string, init?: RequestInit) => fetch(`${arca.url}/api/v1${path}`, init);

    before(async () => {
      arca = await startArca({ dialect });
    });
    after(async () => {
      await arca?.stop();
      await tmp.cleanup();
    });

    async function pushBlob(repo: string, data: Buffer): Promise<void> {
      const res = await fetch(`${arca.url}/v2/${repo}/blobs/uploads/?digest=${sha(data)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(data),
      });
      assert.equal(res.status, 201, await res.text());
    }

    test('publish through the API after pushing blobs over /v2; skopeo copies it to a layout with the files by title', async () => {
      const files = new Map<string, Buffer>([
        ['model.safetensors', randomBytes(300_000)],
        ['tokenizer/tokenizer.json', Buffer.from('{"v":1}')],
        ['README.md', Buffer.from('# tiny\n')],
      ]);
      for (const bytes of files.values()) await pushBlob('default/models/tiny-llm', bytes);
      const res = await api('/registries/default/models/tiny-llm/versions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          version: '1',
          type: 'custom_model',
          files: [...files].map(([path, b]) => ({ path, digest: sha(b), size: b.length })),
        }),
      });
      assert.equal(res.status, 201, await res.text());
      const out = join(tmp.path, 'pulled');
      await skopeoCopy(`docker://${host()}/default/models/tiny-llm:1`, `oci:${out}:1`);
      const pulled = layoutFiles(out);
      assert.deepEqual([...pulled.keys()].sort(), [...files.keys()].sort());
      for (const [path, bytes] of files) assert.ok(pulled.get(path)!.equals(bytes), path);
      const file = await api('/registries/default/models/tiny-llm/versions/1/files/tokenizer/tokenizer.json');
      assert.equal(await file.text(), '{"v":1}');
    });

    test('a ModelPack artifact built by hand and pushed with skopeo is listed as a model with files', async () => {
      const weights = randomBytes(50_000);
      const readme = Buffer.from('# handmade\n');
      const dir = join(tmp.path, 'modelpack');
      writeLayout(
        dir,
        'v1',
        {
          mediaType: 'application/vnd.cncf.model.config.v1+json',
          bytes: Buffer.from(
            JSON.stringify({
              descriptor: { name: 'handmade', description: 'by hand' },
              config: {},
              modelfs: { type: 'layers', diffIds: [sha(weights), sha(readme)] },
            }),
          ),
        },
        [
          [
            {
              mediaType: 'application/vnd.cncf.model.weight.v1.raw',
              digest: sha(weights),
              size: weights.length,
              annotations: { 'org.cncf.model.filepath': 'weights/model.gguf' },
            },
            weights,
          ],
          [
            {
              mediaType: 'application/vnd.cncf.model.doc.v1.raw',
              digest: sha(readme),
              size: readme.length,
              annotations: { 'org.opencontainers.image.title': 'README.md' },
            },
            readme,
          ],
        ],
        'application/vnd.cncf.model.manifest.v1+json',
      );
      await skopeoCopy(`oci:${dir}:v1`, `docker://${host()}/default/models/handmade:v1`, {
        preserveDigests: true,
      });
      const list = (await (await api('/registries/default/models?name=handmade')).json()) as {
        items: { name: string; latestVersion: string }[];
      };
      assert.deepEqual(
        list.items.map((i) => [i.name, i.latestVersion]),
        [['handmade', 'v1']],
      );
      const version = (await (await api('/registries/default/models/handmade/versions/v1')).json()) as {
        format: string;
        description: string;
        files: { path: string; size: number }[];
      };
      assert.equal(version.format, 'modelpack');
      assert.equal(version.description, 'by hand');
      assert.deepEqual(
        version.files.map((f) => [f.path, f.size]),
        [
          ['weights/model.gguf', weights.length],
          ['README.md', readme.length],
        ],
      );
      const got = await api('/registries/default/models/handmade/versions/v1/files/weights/model.gguf');
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(weights));
    });

    test('a KitOps ModelKit pushed with plain HTTP PUTs, and a hostile title that is never a path', async () => {
      const model = randomBytes(20_000);
      const kitfile = Buffer.from(
        JSON.stringify({
          manifestVersion: '1.0',
          package: { name: 'kit', description: 'a kit' },
          model: { path: 'model.bin' },
        }),
      );
      const evil = Buffer.from('evil');
      for (const b of [model, kitfile, evil]) await pushBlob('default/models/kit', b);
      const put = (tag: string, layers: Layer[]) =>
        fetch(`${arca.url}/v2/default/models/kit/manifests/${tag}`, {
          method: 'PUT',
          headers: { 'content-type': ociManifest },
          body: JSON.stringify({
            schemaVersion: 2,
            mediaType: ociManifest,
            config: {
              mediaType: 'application/vnd.kitops.modelkit.config.v1+json',
              digest: sha(kitfile),
              size: kitfile.length,
            },
            layers,
          }),
        });
      const ok = await put('v1', [
        { mediaType: 'application/vnd.kitops.modelkit.model.v1.tar', digest: sha(model), size: model.length },
      ]);
      assert.equal(ok.status, 201, await ok.text());
      const v1 = (await (await api('/registries/default/models/kit/versions/v1')).json()) as {
        format: string;
        files: { path: string }[];
      };
      assert.equal(v1.format, 'modelkit');
      assert.deepEqual(
        v1.files.map((f) => f.path),
        ['model.bin'],
      );

      const hostile = await put('v2', [
        {
          mediaType: 'application/vnd.kitops.modelkit.model.v1.tar',
          digest: sha(evil),
          size: evil.length,
          annotations: { 'org.opencontainers.image.title': '../../x' },
        },
      ]);
      assert.equal(hostile.status, 201);
      const v2 = (await (await api('/registries/default/models/kit/versions/v2')).json()) as {
        files: { path: string | null }[];
        flags: string[];
      };
      assert.deepEqual(
        v2.files.map((f) => f.path),
        [null],
      );
      assert.match(v2.flags[0]!, /'\.\.'/);
      const tar = Buffer.from(
        await (await api('/registries/default/models/kit/versions/v2/archive')).arrayBuffer(),
      );
      assert.equal(tar.length, 1024, 'a file without a path is left out of the archive');

      // A version's tag never moves to another manifest over /v2.
      const moved = await put('v1', [
        { mediaType: 'application/vnd.kitops.modelkit.model.v1.tar', digest: sha(evil), size: evil.length },
      ]);
      assert.equal(moved.status, 409);
    });

    test("an OCI index wrapping a ModelKit is a model version with the kit's files; an image index is not", async () => {
      const model = randomBytes(5_000);
      const kitfile = Buffer.from(
        JSON.stringify({ package: { description: 'wrapped' }, model: { path: 'm.bin' } }),
      );
      for (const b of [model, kitfile]) await pushBlob('default/models/wrapped', b);
      const kit = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifest,
          artifactType: 'application/vnd.kitops.modelkit.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.kitops.modelkit.config.v1+json',
            digest: sha(kitfile),
            size: kitfile.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.kitops.modelkit.model.v1.tar',
              digest: sha(model),
              size: model.length,
            },
          ],
        }),
      );
      const putManifest = (reference: string, body: Buffer, type: string) =>
        fetch(`${arca.url}/v2/default/models/wrapped/manifests/${reference}`, {
          method: 'PUT',
          headers: { 'content-type': type },
          body: body.toString('utf8'),
        });
      assert.equal((await putManifest(sha(kit), kit, ociManifest)).status, 201);
      const indexType = 'application/vnd.oci.image.index.v1+json';
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: indexType,
          manifests: [
            {
              mediaType: ociManifest,
              digest: sha(kit),
              size: kit.length,
              artifactType: 'application/vnd.kitops.modelkit.manifest.v1+json',
            },
          ],
        }),
      );
      const put = await putManifest('v1', index, indexType);
      assert.equal(put.status, 201, await put.text());
      const v1 = (await (await api('/registries/default/models/wrapped/versions/v1')).json()) as {
        digest: string;
        format: string;
        description: string;
        files: { path: string; digest: string }[];
      };
      assert.equal(v1.digest, sha(index), 'the version is the index');
      assert.equal(v1.format, 'modelkit');
      assert.equal(v1.description, 'wrapped');
      assert.deepEqual(
        v1.files.map((f) => [f.path, f.digest]),
        [['m.bin', sha(model)]],
      );
      const got = await api('/registries/default/models/wrapped/versions/v1/files/m.bin');
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(model));

      // An index of plain images (platforms) is no model.
      const image = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifest,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha(kitfile),
            size: kitfile.length,
          },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(model), size: model.length },
          ],
        }),
      );
      assert.equal((await putManifest(sha(image), image, ociManifest)).status, 201);
      const platforms = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: indexType,
          manifests: [
            {
              mediaType: ociManifest,
              digest: sha(image),
              size: image.length,
              platform: { os: 'linux', architecture: 'amd64' },
            },
          ],
        }),
      );
      assert.equal((await putManifest('v2', platforms, indexType)).status, 201);
      assert.equal((await api('/registries/default/models/wrapped/versions/v2')).status, 404);
    });
  });
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

const adminPassword = 'in-process-Admin-9';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const admin = { authorization: basic('admin', adminPassword) };
const json = { ...admin, 'content-type': 'application/json' };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('the asset API, in process', () => {
  let arca: InProcessArca;
  const files: Record<string, Buffer> = {
    'model.safetensors': Buffer.alloc(70_000, 7),
    'config.json': Buffer.from('{"hidden":4}'),
    'README.md': Buffer.from('# tiny\n'),
    [`deep/${'d'.repeat(120)}/x.txt`]: Buffer.from('long path'),
  };

  async function push(repository: string, bytes: Buffer): Promise<void> {
    const res = await arca.app.inject({
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/?digest=${sha(bytes)}`,
      headers: { ...admin, 'content-type': 'application/octet-stream' },
      payload: bytes,
    });
    assert.equal(res.statusCode, 201, res.body);
  }

  const fileList = () =>
    Object.entries(files).map(([path, bytes]) => ({ path, digest: sha(bytes), size: bytes.length }));

  before(async () => {
    arca = await inProcessArca({}, { auth: 'arca', adminPassword });
    for (const bytes of Object.values(files)) await push('default/models/tiny-llm', bytes);
  });
  after(() => arca.close());

  const publish = (body: unknown, asset = 'tiny-llm', headers: Record<string, string> = json) =>
    arca.app.inject({
      method: 'POST',
      url: `/api/v1/registries/default/models/${asset}/versions`,
      headers,
      payload: JSON.stringify(body),
    });

  test('publish: 201 with a ModelPack manifest, files by title; the same version again is 409 and changes nothing', async () => {
    const res = await publish({
      version: '1',
      description: 'A small language model',
      tags: { task: 'text-generation' },
      type: 'custom_model',
      card: {
        description: 'tiny',
        metadata: { license: 'mit', framework: 'pytorch', datasets: ['reviews'] },
      },
      files: fileList(),
    });
    assert.equal(res.statusCode, 201, res.body);
    const v = JSON.parse(res.body) as {
      uri: string;
      digest: string;
      files: { path: string; mediaType: string }[];
      labels: string[];
    };
    assert.equal(v.uri, 'arca://registries/default/models/tiny-llm/versions/1');
    assert.deepEqual(v.labels, ['latest']);
    const types = Object.fromEntries(v.files.map((f) => [f.path, f.mediaType]));
    assert.equal(types['model.safetensors'], 'application/vnd.cncf.model.weight.v1.raw');
    assert.equal(types['config.json'], 'application/vnd.cncf.model.weight.config.v1.raw');
    assert.equal(types['README.md'], 'application/vnd.cncf.model.doc.v1.raw');

    const manifest = await arca.app.inject({
      method: 'GET',
      url: '/v2/default/models/tiny-llm/manifests/1',
      headers: { ...admin, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(manifest.statusCode, 200);
    const m = JSON.parse(manifest.body) as {
      artifactType: string;
      config: { mediaType: string };
      layers: { annotations: Record<string, string> }[];
    };
    assert.equal(m.artifactType, 'application/vnd.cncf.model.manifest.v1+json');
    assert.equal(m.config.mediaType, 'application/vnd.cncf.model.config.v1+json');
    assert.equal(m.layers[0]!.annotations['org.opencontainers.image.title'], 'model.safetensors');
    assert.equal(m.layers[0]!.annotations['org.cncf.model.filepath'], 'model.safetensors');

    const again = await publish({ version: '1', description: 'changed', files: fileList().slice(0, 1) });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal((JSON.parse(again.body) as { code: string }).code, 'ASSET_VERSION_EXISTS');
    const shown = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models/tiny-llm/versions/1',
      headers: admin,
    });
    const s = JSON.parse(shown.body) as { description: string; files: unknown[]; digest: string };
    assert.equal(s.description, 'A small language model');
    assert.equal(s.files.length, 4);
    assert.equal(s.digest, v.digest);
  });

  test('bad input changes nothing and says why', async () => {
    const bad: [unknown, number, RegExp][] = [
      [{ version: '2', files: [{ path: '../x', digest: sha(files['README.md']!), size: 7 }] }, 400, /'\.\.'/],
      [
        { version: '2', files: [{ path: '/etc/passwd', digest: sha(files['README.md']!), size: 7 }] },
        400,
        /absolute/,
      ],
      [
        { version: '2', files: [{ path: 'a\u0000b', digest: sha(files['README.md']!), size: 7 }] },
        400,
        /NUL/,
      ],
      [{ version: '2', files: [fileList()[2], fileList()[2]] }, 400, /twice/],
      [{ version: '.bad', files: [] }, 400, /version/],
      [
        { version: '2', files: [{ path: 'missing.bin', digest: sha(Buffer.from('nope')), size: 4 }] },
        400,
        /missing\.bin/,
      ],
      [
        { version: '2', files: fileList(), card: { metadata: { license: 5 } } },
        400,
        /card\.metadata\.license/,
      ],
      [{ version: '2', files: fileList(), card: 'a: [unclosed' }, 400, /YAML/],
      [{ version: '2', files: fileList(), type: 'pickle_model' }, 400, /spec\.type/],
      [
        { version: '2', files: fileList(), lineage: ['arca://registries/default/datasets/nope/versions/1'] },
        400,
        /lineage\[0\]/,
      ],
    ];
    for (const [body, status, message] of bad) {
      const res = await publish(body);
      assert.equal(res.statusCode, status, res.body);
      assert.match(String(res.headers['content-type']), /problem\+json/);
      assert.match(res.body, message);
    }
    const badName = await publish({ version: '2', files: [] }, 'Bad_Name');
    assert.equal(badName.statusCode, 400);
    const list = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models/tiny-llm/versions',
      headers: admin,
    });
    assert.deepEqual(
      (JSON.parse(list.body) as { items: { version: string }[] }).items.map((i) => i.version),
      ['1'],
    );
    const tags = await arca.app.inject({
      method: 'GET',
      url: '/v2/default/models/tiny-llm/tags/list',
      headers: admin,
    });
    assert.deepEqual((JSON.parse(tags.body) as { tags: string[] }).tags, ['1']);
  });

  test('a file by path, a Range of it, and the whole version as a tar', async () => {
    const base = '/api/v1/registries/default/models/tiny-llm/versions/1';
    const whole = await arca.app.inject({ method: 'GET', url: `${base}/files/config.json`, headers: admin });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.body, '{"hidden":4}');
    assert.equal(whole.headers.etag, `"${sha(files['config.json']!)}"`);
    const part = await arca.app.inject({
      method: 'GET',
      url: `${base}/files/model.safetensors`,
      headers: { ...admin, range: 'bytes=10-19' },
    });
    assert.equal(part.statusCode, 206);
    assert.equal(part.rawPayload.length, 10);
    const outside = await arca.app.inject({
      method: 'GET',
      url: `${base}/files/config.json`,
      headers: { ...admin, range: 'bytes=100-200' },
    });
    assert.equal(outside.statusCode, 416);
    const none = await arca.app.inject({ method: 'GET', url: `${base}/files/nothing.bin`, headers: admin });
    assert.equal(none.statusCode, 404);
    // HEAD says what GET would send, without the bytes: a client sizes its ranges from it.
    const head = await arca.app.inject({
      method: 'HEAD',
      url: `${base}/files/model.safetensors`,
      headers: admin,
    });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String(files['model.safetensors']!.length));
    assert.equal(head.headers.etag, `"${sha(files['model.safetensors']!)}"`);
    assert.equal(head.rawPayload.length, 0);
    const headPart = await arca.app.inject({
      method: 'HEAD',
      url: `${base}/files/model.safetensors`,
      headers: { ...admin, range: 'bytes=10-19' },
    });
    assert.equal(headPart.statusCode, 206);
    assert.equal(headPart.headers['content-length'], '10');
    const headTar = await arca.app.inject({ method: 'HEAD', url: `${base}/archive`, headers: admin });
    assert.equal(headTar.statusCode, 200);
    assert.ok(Number(headTar.headers['content-length']) > 0);
    const tar = await arca.app.inject({ method: 'GET', url: `${base}/archive`, headers: admin });
    assert.equal(tar.statusCode, 200);
    assert.equal(tar.headers['content-type'], 'application/x-tar');
    const body = tar.rawPayload;
    assert.equal(body.length, Number(tar.headers['content-length']));
    assert.equal(body.subarray(257, 262).toString(), 'ustar');
    // Every file's bytes are in the archive, the long path in a pax header.
    for (const bytes of Object.values(files)) assert.ok(body.includes(bytes), 'file bytes in the tar');
    assert.ok(body.includes(Buffer.from(`path=deep/${'d'.repeat(120)}/x.txt`)));
  });

  test('labels: latest moves with publishing, others are set; latest cannot be set; lineage both ways', async () => {
    await push('default/datasets/reviews', files['README.md']!);
    const ds = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries/default/datasets/reviews/versions',
      headers: json,
      payload: JSON.stringify({
        version: '2024-06',
        type: 'uri_folder',
        files: [fileList()[2]],
        card: { metadata: { numSamples: 10 } },
      }),
    });
    assert.equal(ds.statusCode, 201, ds.body);
    const v2 = await publish({
      version: '2',
      files: fileList().slice(0, 2),
      lineage: ['arca://registries/default/datasets/reviews/versions/2024-06', 'tiny-llm:1'],
    });
    assert.equal(v2.statusCode, 201, v2.body);
    const asset = JSON.parse(
      (
        await arca.app.inject({
          method: 'GET',
          url: '/api/v1/registries/default/models/tiny-llm',
          headers: admin,
        })
      ).body,
    ) as { latestVersion: string; labels: Record<string, string> };
    assert.equal(asset.latestVersion, '2');
    assert.equal(asset.labels.latest, '2');
    const set = await arca.app.inject({
      method: 'PUT',
      url: '/api/v1/registries/default/models/tiny-llm/labels/production',
      headers: json,
      payload: '{"version":"1"}',
    });
    assert.equal(set.statusCode, 200, set.body);
    const prod = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models/tiny-llm/labels/production',
      headers: admin,
    });
    assert.equal((JSON.parse(prod.body) as { version: string }).version, '1');
    const latest = await arca.app.inject({
      method: 'PUT',
      url: '/api/v1/registries/default/models/tiny-llm/labels/latest',
      headers: json,
      payload: '{"version":"1"}',
    });
    assert.equal(latest.statusCode, 409);
    const up = JSON.parse(
      (
        await arca.app.inject({
          method: 'GET',
          url: '/api/v1/registries/default/models/tiny-llm/versions/2/lineage',
          headers: admin,
        })
      ).body,
    ) as { upstream: { uri: string }[] };
    assert.deepEqual(up.upstream.map((u) => u.uri).sort(), [
      'arca://registries/default/datasets/reviews/versions/2024-06',
      'arca://registries/default/models/tiny-llm/versions/1',
    ]);
    const down = JSON.parse(
      (
        await arca.app.inject({
          method: 'GET',
          url: '/api/v1/registries/default/datasets/reviews/versions/2024-06/lineage',
          headers: admin,
        })
      ).body,
    ) as { downstream: { uri: string }[] };
    assert.deepEqual(
      down.downstream.map((d) => d.uri),
      ['arca://registries/default/models/tiny-llm/versions/2'],
    );
    const resolved = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/assets/resolve?uri=azureml:tiny-llm@latest&kind=model',
      headers: admin,
    });
    assert.equal((JSON.parse(resolved.body) as { version: string }).version, '2');
    const azure = await arca.app.inject({
      method: 'GET',
      url: `/api/v1/assets/resolve?uri=${encodeURIComponent('azureml://registries/default/data/reviews/versions/2024-06')}`,
      headers: admin,
    });
    assert.equal(azure.statusCode, 200, azure.body);
  });

  test('delete: a tombstone; the number is never reused; latest moves back', async () => {
    const del = await arca.app.inject({
      method: 'DELETE',
      url: '/api/v1/registries/default/models/tiny-llm/versions/2',
      headers: admin,
    });
    assert.equal(del.statusCode, 204);
    const gone = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models/tiny-llm/versions/2',
      headers: admin,
    });
    assert.equal(gone.statusCode, 404);
    const reuse = await publish({ version: '2', files: fileList().slice(0, 1) });
    assert.equal(reuse.statusCode, 409);
    const asset = JSON.parse(
      (
        await arca.app.inject({
          method: 'GET',
          url: '/api/v1/registries/default/models/tiny-llm',
          headers: admin,
        })
      ).body,
    ) as { latestVersion: string };
    assert.equal(asset.latestVersion, '1');
  });

  test('permissions: a reader lists and pulls but cannot publish; a custom role with Azure names reads; none is refused', async () => {
    const mk = async (name: string) => {
      const res = await arca.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: json,
        payload: JSON.stringify({ name, password: `${name}-Pass-123` }),
      });
      assert.equal(res.statusCode, 201, res.body);
    };
    await mk('reader1');
    await mk('azure1');
    await mk('nobody1');
    const role = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      headers: json,
      payload: JSON.stringify({
        name: 'AzureAssetReader',
        permissions: [
          'Microsoft.MachineLearningServices/registries/read',
          'Microsoft.MachineLearningServices/registries/assets/read',
        ],
      }),
    });
    assert.equal(role.statusCode, 201, role.body);
    for (const [user, r] of [
      ['reader1', 'Reader'],
      ['azure1', 'AzureAssetReader'],
    ]) {
      const a = await arca.app.inject({
        method: 'POST',
        url: '/api/v1/role-assignments',
        headers: json,
        payload: JSON.stringify({ role: r, principal: { kind: 'user', name: user }, scope: '/' }),
      });
      assert.equal(a.statusCode, 201, a.body);
    }
    for (const user of ['reader1', 'azure1']) {
      const h = { authorization: basic(user, `${user}-Pass-123`) };
      const list = await arca.app.inject({
        method: 'GET',
        url: '/api/v1/registries/default/models',
        headers: h,
      });
      assert.equal(list.statusCode, 200, list.body);
      assert.equal((JSON.parse(list.body) as { items: unknown[] }).items.length, 1);
      const file = await arca.app.inject({
        method: 'GET',
        url: '/api/v1/registries/default/models/tiny-llm/versions/1/files/README.md',
        headers: h,
      });
      assert.equal(file.statusCode, 200);
      const pub = await publish({ version: '9', files: fileList().slice(0, 1) }, 'tiny-llm', {
        ...h,
        'content-type': 'application/json',
      });
      assert.equal(pub.statusCode, 403, pub.body);
    }
    const nobody = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models',
      headers: { authorization: basic('nobody1', 'nobody1-Pass-123') },
    });
    assert.equal(nobody.statusCode, 403);
    const anonymous = await arca.app.inject({ method: 'GET', url: '/api/v1/registries/default/models' });
    assert.equal(anonymous.statusCode, 401);
    const v9 = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models/tiny-llm/versions/9',
      headers: admin,
    });
    assert.equal(v9.statusCode, 404);
  });

  test('list: filter by name prefix, tag, property and card field; page with a cursor', async () => {
    for (const name of ['alpha', 'alpine', 'beta']) {
      const res = await arca.app.inject({
        method: 'POST',
        url: '/api/v1/registries/default/models',
        headers: json,
        payload: JSON.stringify({
          name,
          tags: { team: name === 'beta' ? 'b' : 'a' },
          properties: { stage: 'dev' },
        }),
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    const dup = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries/default/models',
      headers: json,
      payload: '{"name":"alpha"}',
    });
    assert.equal(dup.statusCode, 409);
    const names = async (q: string) =>
      (
        JSON.parse(
          (
            await arca.app.inject({
              method: 'GET',
              url: `/api/v1/registries/default/models?${q}`,
              headers: admin,
            })
          ).body,
        ) as { items: { name: string }[] }
      ).items.map((i) => i.name);
    assert.deepEqual(await names('name=alp'), ['alpha', 'alpine']);
    assert.deepEqual(await names('tag=team=a'), ['alpha', 'alpine']);
    assert.deepEqual(await names('tag=team&property=stage=dev&sort=-name'), ['beta', 'alpine', 'alpha']);
    assert.deepEqual(await names('card=license=mit'), ['tiny-llm']);
    const page1 = JSON.parse(
      (
        await arca.app.inject({
          method: 'GET',
          url: '/api/v1/registries/default/models?limit=2',
          headers: admin,
        })
      ).body,
    ) as { items: { name: string }[]; next: string };
    assert.deepEqual(
      page1.items.map((i) => i.name),
      ['alpha', 'alpine'],
    );
    assert.deepEqual(await names(`limit=2&cursor=${page1.next}`), ['beta', 'tiny-llm']);
    const badSort = await arca.app.inject({
      method: 'GET',
      url: '/api/v1/registries/default/models?sort=size',
      headers: admin,
    });
    assert.equal(badSort.statusCode, 400);
  });

  test('a registry holding assets is not deleted without force', async () => {
    const reg = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries',
      headers: json,
      payload: '{"name":"team"}',
    });
    assert.equal(reg.statusCode, 201, reg.body);
    const made = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries/team/datasets',
      headers: json,
      payload: '{"name":"d1"}',
    });
    assert.equal(made.statusCode, 201, made.body);
    const refused = await arca.app.inject({
      method: 'DELETE',
      url: '/api/v1/registries/team',
      headers: admin,
    });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /assets/);
    const forced = await arca.app.inject({
      method: 'DELETE',
      url: '/api/v1/registries/team?force=true',
      headers: admin,
    });
    assert.equal(forced.statusCode, 200, forced.body);
  });
});

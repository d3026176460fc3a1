import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const ociError = (body: string) => (JSON.parse(body) as { errors: { code: string }[] }).errors[0]?.code;

describe('/v2 routes, in process', () => {
  let arca: InProcessArca;
  before(async () => {
    arca = await inProcessArca({ REGISTRY_STORAGE_DELETE_ENABLED: 'true' });
  });
  after(() => arca.close());

  test('the base endpoint answers with the API version header', async () => {
    const res = await arca.app.inject({ method: 'GET', url: '/v2/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  test('a monolithic blob push, a manifest by tag, then reads by tag and digest', async () => {
    const config = '{}';
    const layer = 'in-process layer';
    for (const blob of [config, layer]) {
      const put = await arca.app.inject({
        method: 'POST',
        url: `/v2/team/app/blobs/uploads/?digest=${sha256(blob)}`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: blob,
      });
      assert.equal(put.statusCode, 201, put.body);
      assert.equal(put.headers['docker-content-digest'], sha256(blob));
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: 2 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length },
      ],
    });
    const put = await arca.app.inject({
      method: 'PUT',
      url: '/v2/team/app/manifests/v1',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      payload: manifest,
    });
    assert.equal(put.statusCode, 201, put.body);
    const byTag = await arca.app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' });
    assert.equal(byTag.statusCode, 200);
    assert.equal(byTag.body, manifest);
    assert.equal(byTag.headers['docker-content-digest'], sha256(manifest));
    const blob = await arca.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${sha256(layer)}` });
    assert.equal(blob.statusCode, 200);
    assert.equal(blob.body, layer);
    const range = await arca.app.inject({
      method: 'GET',
      url: `/v2/team/app/blobs/${sha256(layer)}`,
      headers: { range: 'bytes=3-9' },
    });
    assert.equal(range.statusCode, 206);
    assert.equal(range.body, layer.slice(3, 10));
  });

  test('bad names, digests and upload ids are refused in the OCI dialect and change nothing', async () => {
    const cases: [string, string, number, string][] = [
      ['GET', '/v2/Team/App/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/team/app/blobs/sha256:xyz', 400, 'DIGEST_INVALID'],
      ['GET', `/v2/team/app/blobs/${sha256('never pushed')}`, 404, 'BLOB_UNKNOWN'],
      ['GET', '/v2/team/app/blobs/uploads/not-an-upload-id', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['GET', '/v2/team/app/manifests/no-such-tag', 404, 'MANIFEST_UNKNOWN'],
    ];
    for (const [method, url, status, code] of cases) {
      const res = await arca.app.inject({ method: method as 'GET', url });
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      assert.equal(ociError(res.body), code, `${method} ${url}`);
    }
    const mismatched = await arca.app.inject({
      method: 'POST',
      url: `/v2/team/app/blobs/uploads/?digest=${sha256('something else')}`,
      headers: { 'content-type': 'application/octet-stream' },
      payload: 'these bytes',
    });
    assert.equal(mismatched.statusCode, 400);
    assert.equal(ociError(mismatched.body), 'DIGEST_INVALID');
    const gone = await arca.app.inject({
      method: 'HEAD',
      url: `/v2/team/app/blobs/${sha256('these bytes')}`,
    });
    assert.equal(gone.statusCode, 404, 'the refused bytes were not kept');
  });

  test('a manifest PUT with a type that is no manifest type is refused, nothing tagged', async () => {
    const res = await arca.app.inject({
      method: 'PUT',
      url: '/v2/team/app/manifests/plain',
      headers: { 'content-type': 'text/plain' },
      payload: '{"schemaVersion":2}',
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(ociError(res.body), 'MANIFEST_INVALID');
    const tag = await arca.app.inject({ method: 'GET', url: '/v2/team/app/manifests/plain' });
    assert.equal(tag.statusCode, 404);
  });
});

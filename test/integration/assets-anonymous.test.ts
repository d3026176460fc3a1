import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { apiCall, apiClient } from '../helpers/api-client.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { sha256 } from '../helpers/images.js';
import { pushBlob } from '../helpers/oci-push.js';

const adminPassword = 'admin-Secret-0077';
const admin: Credentials = { user: 'admin', pass: adminPassword };

describe('asset files read anonymously from a real server (sqlite)', { timeout: 90_000 }, () => {
  let arca: RunningArca;
  const weights = randomBytes(256 * 1024);

  before(async () => {
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
    const api = apiClient(arca.url, admin);
    await api.ok('POST', '/api/v1/registries', { name: 'pub', anonymous_pull: true });
    await api.ok('POST', '/api/v1/registries', { name: 'priv' });
    for (const registry of ['pub', 'priv']) {
      await pushBlob(arca.url, `${registry}/models/tiny`, weights, admin);
      await api.ok('POST', `/api/v1/registries/${registry}/models/tiny/versions`, {
        version: '1',
        files: [{ path: 'model.safetensors', digest: sha256(weights), size: weights.length }],
      });
    }
  });
  after(async () => {
    await arca?.stop();
  });

  test('a Range of a file without signing in on an anonymous-pull registry; 401 with a challenge on a private one', async () => {
    const file = (registry: string) =>
      `/api/v1/registries/${registry}/models/tiny/versions/1/files/model.safetensors`;
    const part = await apiCall(arca.url, 'GET', file('pub'), {
      headers: { range: 'bytes=1000-66535' },
      timeoutMs: 15_000,
    });
    assert.equal(part.status, 206, part.text);
    assert.equal(part.headers.get('content-range'), `bytes 1000-66535/${weights.length}`);
    assert.ok(part.bytes.equals(weights.subarray(1000, 66536)), 'the bytes of the range');
    assert.equal(part.headers.get('etag'), `"${sha256(weights)}"`);

    const whole = await apiCall(arca.url, 'GET', file('pub'), { timeoutMs: 15_000 });
    assert.equal(whole.status, 200);
    assert.ok(whole.bytes.equals(weights));

    const refused = await apiCall(arca.url, 'GET', file('priv'), {
      headers: { range: 'bytes=0-99' },
      timeoutMs: 15_000,
    });
    assert.equal(refused.status, 401, refused.text);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(
      refused.headers.get('www-authenticate') ?? '',
      /^Bearer realm="[^"]+\/auth\/token",service="/,
    );

    const wrong = await apiCall(arca.url, 'GET', file('pub'), {
      auth: { user: 'admin', pass: 'not-the-password' },
      timeoutMs: 15_000,
    });
    assert.equal(wrong.status, 401, 'bad credentials are refused, not taken as anonymous');

    const write = await apiCall(arca.url, 'PUT', '/api/v1/registries/pub/models/tiny/labels/prod', {
      json: { version: '1' },
      timeoutMs: 15_000,
    });
    assert.equal(write.status, 401, write.text);
  });
});

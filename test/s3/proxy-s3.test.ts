import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { apiClient } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { countingForwarder, type CountingForwarder } from '../helpers/counting-forwarder.js';
import { dialects } from '../helpers/dialects.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { buildMultiPlatform, layoutDigest, seededBytes } from '../helpers/images.js';
import { pushBlobInUpload } from '../helpers/oci-push.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { dockerRef, skopeoCopy } from '../helpers/skopeo.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const upstreamUser: Credentials = { user: 'puller', pass: 'proxy-s3-Secret-8' };
const MiB = 1 << 20;

after(stopSharedCephRgw);

for (const dialect of dialects()) {
  describe(`pull-through cache on S3 storage (${dialect})`, { timeout: 150_000 }, () => {
    let work: TempDir;
    let upstream: RunningRegistry2 | undefined;
    let fwd: CountingForwarder | undefined;
    let arca: RunningArca | undefined;
    let index = '';
    let blob = '';

    before(async () => {
      work = makeTempDir('arca-proxy-s3-');
      const layout = join(work.path, 'layout');
      index = await buildMultiPlatform(layout, 'proxy-s3', [3000, 7000]);
      upstream = await startRegistry2({ htpasswd: upstreamUser });
      await skopeoCopy(`oci:${layout}:multi`, dockerRef(upstream.host, 'lib/multi', 'v1'), {
        all: true,
        destCreds: upstreamUser,
      });
      blob = await pushBlobInUpload(
        upstream.url,
        'lib/multi',
        seededBytes('proxy-s3-blob', 24 * MiB),
        upstreamUser,
      );
      fwd = await countingForwarder(upstream.url);
      arca = await startArca({ dialect, storage: 's3' });
      const api = apiClient(arca.url);
      await api.ok('PUT', '/api/v1/credentials/up', {
        type: 'REGISTRY',
        payload: { registry: fwd.url, username: upstreamUser.user, auth: upstreamUser.pass },
      });
      await api.ok('POST', '/api/v1/registries', { name: 'hub', proxy: { url: fwd.url, credential: 'up' } });
    });

    after(async () => {
      await Promise.all([
        arca?.stop().catch(() => undefined),
        upstream?.stop().catch(() => undefined),
        fwd?.close(),
      ]);
      await work?.cleanup();
    });

    test('skopeo pulls a multi-arch index through the cache into the bucket; digests identical', async () => {
      const out = join(work.path, 'pulled');
      await skopeoCopy(dockerRef(arca!.host, 'hub/lib/multi', 'v1'), `oci:${out}:m`, {
        all: true,
        timeoutMs: 60_000,
      });
      assert.equal(await layoutDigest(out, 'm'), index);
      const gets = fwd!.count('GET', /\/blobs\//, 200);
      await skopeoCopy(dockerRef(arca!.host, 'hub/lib/multi', 'v1'), `oci:${out}:again`, {
        all: true,
        timeoutMs: 60_000,
      });
      assert.equal(fwd!.count('GET', /\/blobs\//, 200), gets, 'served from the bucket');
    });

    test('5 concurrent pulls of an uncached blob: one upstream GET, right bytes', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const res = await fetch(`${arca!.url}/v2/hub/lib/multi/blobs/${blob}`, {
            signal: AbortSignal.timeout(60_000),
          });
          assert.equal(res.status, 200);
          const hash = createHash('sha256');
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
          return `sha256:${hash.digest('hex')}`;
        }),
      );
      for (const digest of results) assert.equal(digest, blob);
      assert.equal(fwd!.count('GET', `/blobs/${blob}`, 200), 1);
    });
  });
}

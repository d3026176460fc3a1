import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseS3Params } from '../../src/config/index.js';
import { ownS3Config } from '../../src/registries/open.js';

test("house 4c: a registry's own bucket gets registry:2's s3 defaults, as storage.s3 would", () => {
  const backend = {
    endpoint: 'minio.test:9000',
    bucket: 'models',
    region: 'eu-west-1',
    credential: 'minio',
    rootdirectory: '/arca',
  };
  const own = ownS3Config(backend, 'AK', 'SK');
  const asStorage = parseS3Params(
    {
      accesskey: 'AK',
      secretkey: 'SK',
      region: 'eu-west-1',
      regionendpoint: 'https://minio.test:9000',
      forcepathstyle: true,
      bucket: 'models',
      rootdirectory: '/arca',
    },
    'storage.s3',
  );
  assert.deepEqual(own, asStorage);
  // registry:2's defaults (the two hand-built copies disagreed here: 4 and 100).
  assert.equal(own.multipartcopymaxconcurrency, 100);
  assert.equal(own.chunksize, 10 * 1024 * 1024);
  assert.equal(own.multipartcopychunksize, 32 * 1024 * 1024);
  assert.equal(own.multipartcopythresholdsize, 32 * 1024 * 1024);
  assert.equal(own.storageclass, 'STANDARD');
});

import { after, before } from 'node:test';
import { parseS3Params } from '../../src/config/index.js';
import { createDriver } from '../../src/storage/index.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { storageConformance } from '../helpers/storage-conformance.js';

let gw: CephRgw;

before(async () => {
  gw = await sharedCephRgw();
});

after(async () => {
  await stopSharedCephRgw();
});

/** Each test its own bucket on the gateway, with 5 MiB parts so the multi-MiB tests cross part boundaries. */
storageConformance('s3 (Ceph RGW)', async () => {
  const bucket = bucketName();
  await gw.createBucket(bucket);
  const config = parseS3Params(
    gw.storageConfig(bucket, { chunksize: 5 * 1024 * 1024, rootdirectory: '/conformance' }),
    'storage.s3',
  );
  const driver = createDriver({ s3: config }, { httpsAgent: gw.httpsAgent() });
  return {
    driver,
    cleanup: async () => {
      driver.close?.();
      await gw.deleteBucket(bucket);
    },
  };
});

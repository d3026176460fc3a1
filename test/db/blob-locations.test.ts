import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Distribution, type StoreRouter } from '../../src/oci/index.js';
import { FilesystemDriver } from '../../src/storage/index.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { dialects } from '../helpers/dialects.js';
import { withTempDir } from '../helpers/tmp.js';

const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Repositories under `own/` are stored in a location of their own, the rest in `default`. */
function twoStores(root: string): StoreRouter {
  const store = (location: string) => {
    const dir = join(root, location.replace(':', '-'));
    mkdirSync(dir, { recursive: true });
    return { location, driver: new FilesystemDriver(dir) };
  };
  const shared = store('default');
  const own = store('registry:own');
  return {
    storeFor: (repository) => (repository.startsWith('own/') ? own : shared),
    all: () => [shared, own],
  };
}

for (const dialect of dialects()) {
  test(`house: the OCI room records which location holds a blob, lists and forgets it (${dialect})`, async () => {
    await withTempDir(async (root) => {
      const { meta, drop } = await freshDatabase(dialect);
      try {
        const oci = new Distribution(meta, twoStores(root));
        const shared = Buffer.from('a layer of the default registry');
        const owned = Buffer.from('a layer in a backend of its own');
        await oci.uploads.monolithic('plain/app', digestOf(shared), Readable.from([shared]));
        await oci.uploads.monolithic('own/app', digestOf(owned), Readable.from([owned]));

        assert.deepEqual(await oci.blobsIn('default'), [digestOf(shared)]);
        assert.deepEqual(await oci.blobsIn('registry:own'), [digestOf(owned)]);
        assert.deepEqual(await oci.blobsIn('nowhere'), []);

        // Forgetting a location nobody uses changes nothing.
        await oci.forgetLocation('nowhere');
        assert.deepEqual(await oci.blobsIn('registry:own'), [digestOf(owned)]);
        // A blob a location holds is adopted there; after the location is forgotten it is not.
        assert.equal(await oci.blobs.adopt('plain/copy', digestOf(shared)), true);
        await oci.forgetLocation('registry:own');
        assert.deepEqual(await oci.blobsIn('registry:own'), []);
        assert.equal(await oci.blobs.adopt('own/copy', digestOf(owned)), false);
        assert.deepEqual(await oci.blobsIn('default'), [digestOf(shared)], 'other locations keep theirs');
      } finally {
        await drop();
      }
    });
  });

  test(`house: repositoriesUnder names the repositories under a first path segment, exactly (${dialect})`, async () => {
    await withTempDir(async (root) => {
      const { meta, drop } = await freshDatabase(dialect);
      try {
        const oci = new Distribution(meta, twoStores(root));
        const layer = Buffer.from('one layer');
        // `_` is a wildcard to LIKE: `a_b` must not match `axb/…`; `own` must not match `owner/…`.
        for (const name of ['a_b/x', 'axb/y', 'own/a', 'own/b/c', 'owner/d', 'own']) {
          await oci.uploads.monolithic(name, digestOf(layer), Readable.from([layer]));
        }
        assert.deepEqual(await oci.repositoriesUnder('a_b', 10), ['a_b/x']);
        assert.deepEqual((await oci.repositoriesUnder('own', 10)).sort(), ['own', 'own/a', 'own/b/c']);
        assert.equal((await oci.repositoriesUnder('own', 2)).length, 2);
        assert.deepEqual(await oci.repositoriesUnder('none', 10), []);
      } finally {
        await drop();
      }
    });
  });
}

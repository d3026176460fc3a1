import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyUpdate,
  CatalogService,
  normalizeEntry,
  parseQuery,
  parseUpdate,
  type CatalogEntry,
} from '../../src/catalog/index.js';
import { isAppError } from '../../src/errors/index.js';
import { dialects } from '../helpers/dialects.js';
import { freshDatabase } from '../helpers/catalog-db.js';

/** The reference's onboarding example, verbatim. */
const example = {
  container_registry_id: 'b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509',
  container_registry_name: 'internal-ai-registry',
  container_registry_metadata: { environment: 'production', owner: 'mlops-team', region: 'us-west-2' },
  container_registry_tags: ['ai', 'training', 'internal', 'fast-pull'],
  container_registry_public_url: 'http://10.13.21.22:32633',
  container_registry_image_prefix: '10.13.21.22:32633',
  container_registry_config: {
    auth_required: true,
    mirror_enabled: false,
    storage_backend: 's3',
    max_layer_size_mb: 500,
  },
  container_registry_storage_info: {
    storage_type: 's3',
    storage_size: -1,
    memory_size: 8192,
    registry_type: 'aios',
  },
};

function updated(update: unknown, base: object = example): CatalogEntry {
  return normalizeEntry(applyUpdate(normalizeEntry(base), parseUpdate(update)));
}

/** [description, update, what the entry then has (a partial match on top-level fields)] */
const cases: [string, unknown, Partial<Record<keyof CatalogEntry, unknown>>][] = [
  [
    'the reference: $set the name',
    { $set: { container_registry_name: 'updated-name' } },
    { container_registry_name: 'updated-name' },
  ],
  [
    'plain fields are a $set',
    { container_registry_name: 'x', container_registry_tags: ['a'] },
    { container_registry_name: 'x', container_registry_tags: ['a'] },
  ],
  [
    '$set a dotted path into metadata',
    { $set: { 'container_registry_metadata.region': 'eu-west-1' } },
    { container_registry_metadata: { environment: 'production', owner: 'mlops-team', region: 'eu-west-1' } },
  ],
  [
    '$set creates the objects on the way',
    { $set: { 'container_registry_config.mirrors.primary': 'https://m' } },
    {
      container_registry_config: { ...example.container_registry_config, mirrors: { primary: 'https://m' } },
    },
  ],
  [
    '$set an array element by index',
    { $set: { 'container_registry_tags.1': 'serving' } },
    { container_registry_tags: ['ai', 'serving', 'internal', 'fast-pull'] },
  ],
  [
    '$set past the end pads with null',
    { $set: { 'container_registry_metadata.labels': ['a'], 'container_registry_config.list.2': 'c' } },
    { container_registry_config: { ...example.container_registry_config, list: { 2: 'c' } } },
  ],
  [
    '$unset a metadata key',
    { $unset: { 'container_registry_metadata.owner': '' } },
    { container_registry_metadata: { environment: 'production', region: 'us-west-2' } },
  ],
  [
    '$unset a top-level field resets it to its default',
    { $unset: { container_registry_tags: '' } },
    { container_registry_tags: [] },
  ],
  [
    '$unset a storage size resets it to -1',
    { $unset: { 'container_registry_storage_info.memory_size': 1 } },
    {
      container_registry_storage_info: {
        storage_type: 's3',
        storage_size: -1,
        memory_size: -1,
        registry_type: 'aios',
      },
    },
  ],
  [
    '$unset of nothing is nothing',
    { $unset: { 'container_registry_metadata.nope.deeper': '' } },
    { container_registry_metadata: example.container_registry_metadata },
  ],
  [
    '$push',
    { $push: { container_registry_tags: 'ai' } },
    { container_registry_tags: ['ai', 'training', 'internal', 'fast-pull', 'ai'] },
  ],
  [
    '$push $each',
    { $push: { container_registry_tags: { $each: ['x', 'y'] } } },
    { container_registry_tags: ['ai', 'training', 'internal', 'fast-pull', 'x', 'y'] },
  ],
  [
    '$push creates the array',
    { $push: { 'container_registry_metadata.labels': 'gpu' } },
    { container_registry_metadata: { ...example.container_registry_metadata, labels: ['gpu'] } },
  ],
  [
    '$addToSet',
    { $addToSet: { container_registry_tags: { $each: ['ai', 'new', 'new'] } } },
    { container_registry_tags: ['ai', 'training', 'internal', 'fast-pull', 'new'] },
  ],
  [
    '$pull a value',
    { $pull: { container_registry_tags: 'training' } },
    { container_registry_tags: ['ai', 'internal', 'fast-pull'] },
  ],
  [
    '$pull a condition',
    { $pull: { container_registry_tags: { $in: ['ai', 'internal'] } } },
    { container_registry_tags: ['training', 'fast-pull'] },
  ],
  [
    '$pull by $regex',
    { $pull: { container_registry_tags: { $regex: '^f' } } },
    { container_registry_tags: ['ai', 'training', 'internal'] },
  ],
  [
    '$pull objects by a query',
    {
      $set: {
        'container_registry_metadata.contacts': [
          { n: 'a', role: 'dev' },
          { n: 'b', role: 'owner' },
        ],
      },
    },
    {},
  ],
  [
    '$inc',
    { $inc: { 'container_registry_config.max_layer_size_mb': 100 } },
    { container_registry_config: { ...example.container_registry_config, max_layer_size_mb: 600 } },
  ],
  [
    '$inc a missing field sets it',
    { $inc: { 'container_registry_metadata.pulls': 2.5 } },
    { container_registry_metadata: { ...example.container_registry_metadata, pulls: 2.5 } },
  ],
  [
    '$inc a storage size',
    { $inc: { 'container_registry_storage_info.memory_size': -192 } },
    {
      container_registry_storage_info: {
        storage_type: 's3',
        storage_size: -1,
        memory_size: 8000,
        registry_type: 'aios',
      },
    },
  ],
  [
    'several operators at once',
    {
      $set: { container_registry_name: 'n' },
      $addToSet: { container_registry_tags: 'gpu' },
      $unset: { container_registry_config: '' },
    },
    {
      container_registry_name: 'n',
      container_registry_tags: ['ai', 'training', 'internal', 'fast-pull', 'gpu'],
      container_registry_config: {},
    },
  ],
  [
    '$set the same id is allowed',
    { $set: { container_registry_id: example.container_registry_id } },
    { container_registry_id: example.container_registry_id },
  ],
  [
    'storage info keeps extra keys',
    { $set: { 'container_registry_storage_info.bucket': 'models' } },
    { container_registry_storage_info: { ...example.container_registry_storage_info, bucket: 'models' } },
  ],
];

const errors: [string, unknown, RegExp][] = [
  ['unknown operator', { $rename: { a: 'b' } }, /unknown operator \$rename/],
  [
    '$inc by a string',
    { $inc: { 'container_registry_config.max_layer_size_mb': '1' } },
    /\$inc needs a number, got string/,
  ],
  ['$inc a string', { $inc: { container_registry_name: 1 } }, /\$inc needs a number there, found string/],
  [
    '$push to a string',
    { $push: { container_registry_name: 'x' } },
    /\$push needs an array there, found string/,
  ],
  [
    '$pull from an object',
    { $pull: { container_registry_metadata: 'x' } },
    /\$pull needs an array there, found object/,
  ],
  [
    'conflicting paths',
    { $set: { container_registry_metadata: {} }, $unset: { 'container_registry_metadata.region': '' } },
    /conflict/,
  ],
  [
    'operators mixed with fields',
    { $set: { container_registry_name: 'a' }, container_registry_tags: [] },
    /cannot mix operators/,
  ],
  ['an empty update', {}, /empty/],
  ['an update that is not an object', ['x'], /expected an object, got array/],
  [
    'operator arguments that are not an object',
    { $set: 5 },
    /update\.\$set: expected an object of field paths, got number/,
  ],
  [
    'changing the id',
    { $set: { container_registry_id: 'other' } },
    /container_registry_id cannot be changed/,
  ],
  ['unsetting the id', { $unset: { container_registry_id: '' } }, /container_registry_id cannot be changed/],
  [
    'tags of the wrong type',
    { $set: { container_registry_tags: 'ai' } },
    /container_registry_tags: .*expected array/,
  ],
  [
    'a tag of the wrong type',
    { $push: { container_registry_tags: 7 } },
    /container_registry_tags\.4: .*expected string/,
  ],
  [
    'an unknown storage type',
    { $set: { 'container_registry_storage_info.storage_type': 'nfs' } },
    /container_registry_storage_info\.storage_type: .*"s3"\|"object-store"\|"fs"\|"unknown"/,
  ],
  [
    'a fractional size',
    { $set: { 'container_registry_storage_info.storage_size': 1.5 } },
    /storage_size: .*int/,
  ],
  [
    'a size below -1',
    { $inc: { 'container_registry_storage_info.storage_size': -5 } },
    /storage_size: expected a size in MB, or -1/,
  ],
  [
    'metadata that is not an object',
    { $set: { container_registry_metadata: [1] } },
    /container_registry_metadata: expected an object/,
  ],
  [
    'an unknown field',
    { $set: { container_registry_owner: 'x' } },
    /unknown field 'container_registry_owner'/,
  ],
  [
    'a path through a string',
    { $set: { 'container_registry_name.x': 1 } },
    /cannot create field 'x' inside a string/,
  ],
  [
    'a key with a dollar',
    { $set: { 'container_registry_metadata.a': { $b: 1 } } },
    /field name "\$b" is not allowed/,
  ],
  [
    'a key with a dot',
    { $set: { container_registry_metadata: { 'a.b': 1 } } },
    /field name "a\.b" is not allowed/,
  ],
  [
    'an unsupported $push modifier',
    { $push: { container_registry_tags: { $each: ['a'], $slice: 2 } } },
    /unsupported modifier \$slice/,
  ],
  [
    'a non-index into an array',
    { $set: { 'container_registry_tags.first': 'x' } },
    /'first' is not an index into an array/,
  ],
];

describe('catalog updates', () => {
  for (const [name, update, expected] of cases) {
    test(name, () => {
      const entry = updated(update);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(entry[field as keyof CatalogEntry], value, field);
      }
    });
  }

  test('$set pads arrays with null; $pull removes objects matching a query', () => {
    const padded = updated(
      { $set: { 'container_registry_metadata.labels.2': 'c' } },
      {
        ...example,
        container_registry_metadata: { labels: ['a'] },
      },
    );
    assert.deepEqual(padded.container_registry_metadata.labels, ['a', null, 'c']);
    const pulled = updated(
      { $pull: { 'container_registry_metadata.contacts': { role: 'dev' } } },
      {
        ...example,
        container_registry_metadata: {
          contacts: [
            { n: 'a', role: 'dev' },
            { n: 'b', role: 'owner' },
          ],
        },
      },
    );
    assert.deepEqual(pulled.container_registry_metadata.contacts, [{ n: 'b', role: 'owner' }]);
  });

  for (const [name, update, message] of errors) {
    test(`400: ${name}`, () => {
      assert.throws(
        () => updated(update),
        (err: unknown) => isAppError(err) && err.status === 400 && message.test(err.message),
      );
    });
  }

  test('a "__proto__" path is refused, and nothing is polluted', () => {
    assert.throws(
      () => updated({ $set: { 'container_registry_metadata.__proto__.polluted': 1 } }),
      /invalid field path/,
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

for (const dialect of dialects()) {
  describe(`catalog updates in the database (${dialect})`, () => {
    let catalog: CatalogService;
    let drop: () => Promise<void>;
    before(async () => {
      const db = await freshDatabase(dialect);
      drop = db.drop;
      catalog = new CatalogService(db.meta, { healthcheck: { timeout: 1000, history: 60_000 } });
      await catalog.create(example);
    });
    after(async () => {
      await drop?.();
    });
    const id = example.container_registry_id;
    const byTag = async (tag: string) =>
      (await catalog.query(parseQuery({ filter: { container_registry_tags: tag } }))).items.map(
        (e) => e.container_registry_id,
      );

    test('tag changes reach the tag index', async () => {
      assert.deepEqual(await byTag('training'), [id]);
      await catalog.update(id, { $pull: { container_registry_tags: 'training' } });
      await catalog.update(id, { $push: { container_registry_tags: 'gpu' } });
      assert.deepEqual(await byTag('training'), []);
      assert.deepEqual(await byTag('gpu'), [id]);
      const entry = await catalog.get(id);
      assert.deepEqual(entry.container_registry_tags, ['ai', 'internal', 'fast-pull', 'gpu']);
    });

    test('indexed columns follow the document', async () => {
      await catalog.update(id, {
        $set: {
          container_registry_name: 'renamed',
          'container_registry_storage_info.registry_type': 'external',
        },
      });
      const found = await catalog.query(
        parseQuery({
          filter: {
            container_registry_name: 'renamed',
            'container_registry_storage_info.registry_type': 'external',
          },
        }),
      );
      assert.equal(found.items.length, 1);
    });

    test('concurrent $inc updates all apply', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          catalog.update(id, { $inc: { 'container_registry_metadata.counter': 1 } }),
        ),
      );
      assert.equal((await catalog.get(id)).container_registry_metadata.counter, 20);
    });

    test('404 for an unknown id; a failed update changes nothing', async () => {
      await assert.rejects(
        catalog.update('nope', { $set: { container_registry_name: 'x' } }),
        (err: unknown) => isAppError(err) && err.status === 404,
      );
      const before = await catalog.get(id);
      await assert.rejects(
        catalog.update(id, { $set: { container_registry_name: 'ok', container_registry_tags: 5 } }),
        /expected array/,
      );
      assert.deepEqual(await catalog.get(id), before);
    });

    test('duplicate ids are a 409; a missing id is generated', async () => {
      await assert.rejects(catalog.create(example), (err: unknown) => isAppError(err) && err.status === 409);
      const created = await catalog.create({ container_registry_name: 'anonymous' });
      assert.match(
        created.container_registry_id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      await catalog.delete(created.container_registry_id);
      await assert.rejects(catalog.get(created.container_registry_id), /not found/);
    });

    test("Arca's own entries: metadata and tags are curated, the rest follows the registry", async () => {
      const own = await catalog.syncOwnRegistry({
        name: 'default',
        publicUrl: 'http://127.0.0.1:5000',
        storageType: 'fs',
        authRequired: false,
      });
      const ownId = own.container_registry_id;
      assert.equal(own.container_registry_storage_info.registry_type, 'aios');
      assert.equal(own.container_registry_image_prefix, '127.0.0.1:5000');
      await catalog.update(ownId, {
        $addToSet: { container_registry_tags: 'team-a' },
        $set: { 'container_registry_metadata.owner': 'ops' },
      });
      await assert.rejects(
        catalog.update(ownId, { $set: { container_registry_name: 'x' } }),
        (err: unknown) => isAppError(err) && err.status === 409,
      );
      await assert.rejects(catalog.delete(ownId), (err: unknown) => isAppError(err) && err.status === 409);
      // The registry changes: derived fields follow, curated ones stay.
      const synced = await catalog.syncOwnRegistry({
        name: 'default',
        publicUrl: 'https://registry.example.com',
        storageType: 's3',
        authRequired: true,
      });
      assert.equal(synced.container_registry_id, ownId);
      assert.equal(synced.container_registry_public_url, 'https://registry.example.com');
      assert.equal(synced.container_registry_image_prefix, 'registry.example.com');
      assert.equal(synced.container_registry_storage_info.storage_type, 's3');
      assert.equal(synced.container_registry_config.auth_required, true);
      assert.deepEqual(synced.container_registry_tags, ['team-a']);
      assert.deepEqual(synced.container_registry_metadata, { owner: 'ops' });
      await catalog.reconcileOwnRegistries([]);
      await assert.rejects(catalog.get(ownId), /not found/);
      assert.equal(await catalog.removeOwnRegistry('default'), false);
    });
  });
}

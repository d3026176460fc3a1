import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogService, matches, normalizeEntry, parseFilter, parseQuery } from '../../src/catalog/index.js';
import { compileFilter } from '../../src/catalog/sql-filter.js';
import { tagSetKey, tagSets } from '../../src/catalog/tag-sets.js';
import { selectIds } from '../../src/catalog/store/entries.js';
import { sortDocuments, parseSort } from '../../src/catalog/query.js';
import { isAppError } from '../../src/errors/index.js';
import type { MetadataDb } from '../../src/db/index.js';
import { dialects } from '../helpers/dialects.js';
import { freshDatabase } from '../helpers/catalog-db.js';

const fixtures = [
  {
    container_registry_id: 'a1',
    container_registry_name: 'alpha',
    container_registry_tags: ['ai', 'training', 'internal', 'fast-pull'],
    container_registry_public_url: 'http://10.0.0.1:5000',
    container_registry_image_prefix: '10.0.0.1:5000',
    container_registry_metadata: {
      environment: 'production',
      owner: 'mlops-team',
      region: 'us-west-2',
      replicas: 3,
      labels: ['gpu', 'a100'],
      contacts: [
        { name: 'ann', role: 'owner' },
        { name: 'bob', role: 'dev' },
      ],
    },
    container_registry_config: { auth_required: true, mirror_enabled: false, max_layer_size_mb: 500 },
    container_registry_storage_info: {
      storage_type: 's3',
      storage_size: -1,
      memory_size: 8192,
      registry_type: 'aios',
    },
  },
  {
    container_registry_id: 'b2',
    container_registry_name: 'beta',
    container_registry_tags: ['ai', 'inference'],
    container_registry_public_url: 'https://reg.example.com',
    container_registry_image_prefix: 'reg.example.com',
    container_registry_metadata: { environment: 'staging', region: 'eu-central-1', replicas: 1, labels: [] },
    container_registry_config: { auth_required: false },
    container_registry_storage_info: {
      storage_type: 'fs',
      storage_size: 1024,
      memory_size: -1,
      registry_type: 'external',
    },
  },
  {
    container_registry_id: 'c3',
    container_registry_name: 'gamma',
    container_registry_tags: ['internal'],
    container_registry_metadata: {
      environment: 'production',
      region: 'us-east-1',
      replicas: 2.5,
      owner: null,
    },
    container_registry_config: { mirror_enabled: true, mirrors: ['https://m1', 'https://m2'] },
    container_registry_storage_info: { storage_type: 'object-store', registry_type: 'aios' },
  },
  { container_registry_id: 'd4', container_registry_name: 'Delta' },
  {
    container_registry_id: 'e5',
    container_registry_name: 'épsilon',
    container_registry_tags: ['ai', 'ai', 'edge'],
    container_registry_metadata: { region: 'us-west-2', replicas: '3', nested: { deep: { value: 42 } } },
    container_registry_storage_info: { storage_type: 's3', registry_type: 'external', storage_size: 500000 },
  },
  {
    container_registry_id: 'f6',
    container_registry_name: '😀-emoji',
    container_registry_tags: ['zeta', 'training'],
    container_registry_metadata: {
      environment: ['production', 'staging'],
      contacts: [{ name: 'cy', role: 'owner' }],
    },
    container_registry_storage_info: { storage_type: 'fs', registry_type: 'aios' },
  },
];
const docs = fixtures.map((f) => normalizeEntry(f));
const all = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'];
const but = (...ids: string[]) => all.filter((id) => !ids.includes(id));

/** [description, filter, expected ids, compiles exactly to SQL?] */
const cases: [string, Record<string, unknown>, string[], boolean][] = [
  ['empty filter', {}, all, true],
  [
    'the reference example: tags $in',
    { container_registry_tags: { $in: ['ai', 'internal'] } },
    ['a1', 'b2', 'c3', 'e5'],
    true,
  ],
  ['name equals', { container_registry_name: 'beta' }, ['b2'], true],
  ['$eq', { container_registry_name: { $eq: 'beta' } }, ['b2'], true],
  ['$ne', { container_registry_name: { $ne: 'beta' } }, but('b2'), true],
  [
    '$in on a column',
    { container_registry_name: { $in: ['alpha', 'gamma', 'nope', 7] } },
    ['a1', 'c3'],
    true,
  ],
  ['$nin on a column', { container_registry_name: { $nin: ['alpha'] } }, but('a1'), true],
  ['$gt by code point', { container_registry_name: { $gt: 'beta' } }, ['c3', 'e5', 'f6'], true],
  ['$lte by code point', { container_registry_name: { $lte: 'alpha' } }, ['a1', 'd4'], true],
  ['$gte across types matches nothing', { container_registry_name: { $gte: 5 } }, [], true],
  ['$lt range', { container_registry_name: { $gte: 'b', $lt: 'h' } }, ['b2', 'c3'], true],
  ['tag equals', { container_registry_tags: 'training' }, ['a1', 'f6'], true],
  ['$all tags', { container_registry_tags: { $all: ['ai', 'internal'] } }, ['a1'], true],
  ['$all empty matches nothing', { container_registry_tags: { $all: [] } }, [], true],
  ['$size (duplicates count)', { container_registry_tags: { $size: 2 } }, ['b2', 'f6'], false],
  ['$size 0', { container_registry_tags: { $size: 0 } }, ['d4'], false],
  ['$nin tags', { container_registry_tags: { $nin: ['ai'] } }, ['c3', 'd4', 'f6'], true],
  ['$ne tag', { container_registry_tags: { $ne: 'ai' } }, ['c3', 'd4', 'f6'], true],
  ['$elemMatch with $regex', { container_registry_tags: { $elemMatch: { $regex: '^fa' } } }, ['a1'], false],
  ['whole-array equality', { container_registry_tags: [] }, ['d4'], false],
  ['whole-array equality, order matters', { container_registry_tags: ['inference', 'ai'] }, [], false],
  ['$in null on tags', { container_registry_tags: { $in: [null] } }, [], true],
  ['registry_type', { 'container_registry_storage_info.registry_type': 'aios' }, ['a1', 'c3', 'f6'], true],
  [
    'storage_type $in',
    { 'container_registry_storage_info.storage_type': { $in: ['s3', 'fs'] } },
    ['a1', 'b2', 'e5', 'f6'],
    true,
  ],
  [
    'storage_size $gt',
    { 'container_registry_storage_info.storage_size': { $gt: 1000 } },
    ['b2', 'e5'],
    false,
  ],
  ['memory_size default -1', { 'container_registry_storage_info.memory_size': -1 }, but('a1'), false],
  ['dotted metadata', { 'container_registry_metadata.region': 'us-west-2' }, ['a1', 'e5'], false],
  [
    'numbers compare with numbers only',
    { 'container_registry_metadata.replicas': { $gte: 2 } },
    ['a1', 'c3'],
    false,
  ],
  ['a string is not a number', { 'container_registry_metadata.replicas': '3' }, ['e5'], false],
  ['null matches null and missing', { 'container_registry_metadata.owner': null }, but('a1'), false],
  ['$exists true', { 'container_registry_metadata.owner': { $exists: true } }, ['a1', 'c3'], false],
  [
    '$exists false',
    { 'container_registry_metadata.owner': { $exists: false } },
    ['b2', 'd4', 'e5', 'f6'],
    false,
  ],
  [
    'equality reaches into arrays',
    { 'container_registry_metadata.environment': 'production' },
    ['a1', 'c3', 'f6'],
    false,
  ],
  ['array element', { 'container_registry_metadata.labels': 'gpu' }, ['a1'], false],
  ['$size on a dotted path', { 'container_registry_metadata.labels': { $size: 0 } }, ['b2'], false],
  [
    'path through an array of objects',
    { 'container_registry_metadata.contacts.role': 'owner' },
    ['a1', 'f6'],
    false,
  ],
  [
    '$elemMatch query',
    { 'container_registry_metadata.contacts': { $elemMatch: { name: 'bob', role: 'dev' } } },
    ['a1'],
    false,
  ],
  [
    '$elemMatch needs one element',
    { 'container_registry_metadata.contacts': { $elemMatch: { name: 'ann', role: 'dev' } } },
    [],
    false,
  ],
  ['array index in a path', { 'container_registry_metadata.contacts.0.name': 'cy' }, ['f6'], false],
  ['deep path', { 'container_registry_metadata.nested.deep.value': 42 }, ['e5'], false],
  ['config boolean', { 'container_registry_config.auth_required': true }, ['a1'], false],
  ['$all on config', { 'container_registry_config.mirrors': { $all: ['https://m2'] } }, ['c3'], false],
  ['$regex', { container_registry_name: { $regex: '^[a-g]' } }, ['a1', 'b2', 'c3'], false],
  ['$regex with $options', { container_registry_name: { $regex: '^d', $options: 'i' } }, ['d4'], false],
  ['$not $regex', { container_registry_name: { $not: { $regex: '^[a-g]' } } }, ['d4', 'e5', 'f6'], false],
  [
    '$not on a column',
    { container_registry_name: { $not: { $in: ['alpha', 'beta'] } } },
    but('a1', 'b2'),
    true,
  ],
  [
    '$or',
    { $or: [{ container_registry_name: 'alpha' }, { container_registry_tags: 'edge' }] },
    ['a1', 'e5'],
    true,
  ],
  [
    '$and',
    { $and: [{ container_registry_tags: 'ai' }, { 'container_registry_storage_info.storage_type': 's3' }] },
    ['a1', 'e5'],
    true,
  ],
  [
    '$nor',
    {
      $nor: [{ container_registry_tags: 'ai' }, { 'container_registry_storage_info.registry_type': 'aios' }],
    },
    ['d4'],
    true,
  ],
  [
    '$or with a residual branch',
    { $or: [{ 'container_registry_metadata.region': 'us-east-1' }, { container_registry_name: 'beta' }] },
    ['b2', 'c3'],
    false,
  ],
  [
    '$nor over a residual',
    { $nor: [{ 'container_registry_metadata.environment': 'production' }] },
    ['b2', 'd4', 'e5'],
    false,
  ],
  [
    'indexed and residual together',
    { container_registry_tags: 'ai', 'container_registry_metadata.region': 'us-west-2' },
    ['a1', 'e5'],
    false,
  ],
  ['public_url $regex', { container_registry_public_url: { $regex: '^https:' } }, ['b2'], false],
  ['id $in', { container_registry_id: { $in: ['a1', 'c3'] } }, ['a1', 'c3'], true],
  [
    'whole object, keys in any order',
    {
      container_registry_storage_info: {
        registry_type: 'external',
        memory_size: -1,
        storage_size: -1,
        storage_type: 'unknown',
      },
    },
    ['d4'],
    false,
  ],
  [
    '$in on an array field in metadata',
    { 'container_registry_metadata.environment': { $in: ['staging'] } },
    ['b2', 'f6'],
    false,
  ],
  ['top-level fields always exist', { container_registry_name: { $exists: false } }, [], true],
  ['$not $size', { container_registry_tags: { $not: { $size: 0 } } }, but('d4'), false],
  ['$all on a scalar column', { container_registry_name: { $all: ['alpha'] } }, ['a1'], true],
  ['empty prefix', { container_registry_image_prefix: '' }, ['c3', 'd4', 'e5', 'f6'], true],
];

const errors: [string, unknown, RegExp][] = [
  ['unknown operator', { container_registry_name: { $foo: 1 } }, /unknown operator \$foo/],
  ['top-level $not', { $not: { container_registry_name: 'a' } }, /unknown top-level operator \$not.*\$nor/],
  ['unknown field', { container_registry_nam: 'x' }, /unknown field 'container_registry_nam'/],
  ['$in needs an array', { container_registry_tags: { $in: 'ai' } }, /\$in: expected an array, got string/],
  [
    '$size needs a count',
    { container_registry_tags: { $size: -1 } },
    /\$size: expected a non-negative integer/,
  ],
  [
    '$size of a string',
    { container_registry_tags: { $size: 'two' } },
    /\$size: expected a non-negative integer/,
  ],
  [
    '$regex needs a string',
    { container_registry_name: { $regex: 5 } },
    /\$regex: expected a string, got number/,
  ],
  ['invalid $regex', { container_registry_name: { $regex: '(' } }, /invalid regular expression/],
  ['$options alone', { container_registry_name: { $options: 'i' } }, /\$options needs \$regex/],
  [
    'unsupported flag',
    { container_registry_name: { $regex: 'a', $options: 'x' } },
    /only the flags i, m, s and u/,
  ],
  ['empty $or', { $or: [] }, /\$or: expected a non-empty array/],
  ['$and of an object', { $and: {} }, /\$and: expected a non-empty array/],
  [
    '$gt of an object',
    { container_registry_name: { $gt: { a: 1 } } },
    /\$gt: expected a number, string, boolean or null, got object/,
  ],
  [
    '$exists of a string',
    { container_registry_name: { $exists: 'yes' } },
    /\$exists: expected true or false, got string/,
  ],
  [
    'operators mixed with fields',
    { container_registry_metadata: { $eq: 1, other: 2 } },
    /cannot mix operators and field names/,
  ],
  ['a filter that is an array', [], /filter: expected an object, got array/],
  [
    '$elemMatch of a number',
    { container_registry_tags: { $elemMatch: 5 } },
    /\$elemMatch: expected an object, got number/,
  ],
  ['$not of a string', { container_registry_name: { $not: 'x' } }, /\$not: expected an operator object/],
  ['empty path segment', { 'container_registry_metadata..x': 1 }, /invalid field path/],
];

function ids(docsOrItems: { container_registry_id?: unknown }[]): string[] {
  return docsOrItems.map((d) => String(d.container_registry_id)).sort();
}

describe('catalog filter: the matcher (the specification)', () => {
  for (const [name, filter, expected] of cases) {
    test(name, () => {
      const parsed = parseFilter(filter);
      assert.deepEqual(ids(docs.filter((d) => matches(d as never, parsed))), expected);
    });
  }
  for (const [name, filter, message] of errors) {
    test(`400: ${name}`, () => {
      assert.throws(
        () => parseFilter(filter),
        (err: unknown) => isAppError(err) && err.status === 400 && message.test(err.message),
      );
    });
  }
});

for (const dialect of dialects()) {
  describe(`catalog filter: SQL agrees with the matcher (${dialect})`, () => {
    let meta: MetadataDb;
    let drop: () => Promise<void>;
    let catalog: CatalogService;
    before(async () => {
      ({ meta, drop } = await freshDatabase(dialect));
      catalog = new CatalogService(meta, { healthcheck: { timeout: 1000, history: 60_000 } });
      // Created one at a time so creation order (the default order) is the fixture order.
      for (const f of fixtures) await catalog.create(f);
    });
    after(async () => {
      await drop?.();
    });

    for (const [name, filter, expected, exact] of cases) {
      test(name, async () => {
        const parsed = parseFilter(filter);
        // Without a dialect (no substring narrowing), with it, and with every tag set taken as rare.
        const rareTags = new Set(tagSets(parsed).map(tagSetKey));
        for (const options of [{}, { dialect }, { dialect, rareTags }]) {
          const compiled = compileFilter(parsed, options);
          assert.equal(compiled.exact, exact, 'compiles exactly to SQL');
          const bySql = await selectIds(meta.db, compiled.where);
          if (compiled.exact) assert.deepEqual(bySql, expected, 'SQL alone');
          else
            assert.ok(
              expected.every((id) => bySql.includes(id)),
              `SQL narrows to a superset: ${bySql}`,
            );
        }
        const page = await catalog.query(parseQuery({ filter }));
        assert.deepEqual(ids(page.items), expected, 'the query');
      });
    }

    test('sorting by an indexed column in SQL matches sorting in TypeScript', async () => {
      for (const sort of [
        'container_registry_name',
        '-container_registry_name',
        '-container_registry_storage_info.storage_type,container_registry_name',
      ]) {
        const sql = await catalog.query(parseQuery({ sort }));
        const js = sortDocuments([...docs], parseSort(sort));
        assert.deepEqual(
          sql.items.map((d) => d.container_registry_id),
          js.map((d) => d.container_registry_id),
          sort,
        );
      }
      const byName = await catalog.query(parseQuery({ sort: { container_registry_name: 1 } }));
      assert.deepEqual(
        byName.items.map((d) => d.container_registry_name),
        ['Delta', 'alpha', 'beta', 'gamma', 'épsilon', '😀-emoji'],
      );
    });

    test('sorting by any path: missing first, arrays by their smallest element, ties in creation order', async () => {
      const region = await catalog.query(parseQuery({ sort: 'container_registry_metadata.region' }));
      assert.deepEqual(
        region.items.map((d) => d.container_registry_id),
        ['d4', 'f6', 'b2', 'c3', 'a1', 'e5'],
      );
      const tags = await catalog.query(parseQuery({ sort: { container_registry_tags: -1 } }));
      assert.deepEqual(
        tags.items.map((d) => d.container_registry_id),
        ['f6', 'a1', 'c3', 'b2', 'e5', 'd4'],
      );
    });

    test('pagination: limit and skip, in SQL and with a residual filter', async () => {
      const first = await catalog.query(parseQuery({ sort: 'container_registry_name', limit: 2 }));
      assert.deepEqual(
        first.items.map((d) => d.container_registry_id),
        ['d4', 'a1'],
      );
      assert.equal(first.more, true);
      const last = await catalog.query(parseQuery({ sort: 'container_registry_name', limit: 2, skip: 4 }));
      assert.deepEqual(
        last.items.map((d) => d.container_registry_id),
        ['e5', 'f6'],
      );
      assert.equal(last.more, false);
      const residual = await catalog.query(
        parseQuery({
          filter: { 'container_registry_metadata.region': { $exists: true } },
          sort: '-container_registry_name',
          limit: 2,
          skip: 1,
        }),
      );
      assert.deepEqual(
        residual.items.map((d) => d.container_registry_id),
        ['c3', 'b2'],
      );
      assert.equal(residual.more, true);
      const jsSorted = await catalog.query(
        parseQuery({
          filter: { container_registry_tags: 'ai' },
          sort: 'container_registry_metadata.region',
          skip: 1,
          limit: 1,
        }),
      );
      assert.deepEqual(
        jsSorted.items.map((d) => d.container_registry_id),
        ['a1'],
      );
      assert.equal(jsSorted.more, true);
    });

    test('projection: include, exclude, dotted paths, the id', async () => {
      const filter = { container_registry_id: 'a1' };
      const [included] = (
        await catalog.query(
          parseQuery({
            filter,
            projection: { container_registry_name: 1, 'container_registry_metadata.region': 1 },
          }),
        )
      ).items;
      assert.deepEqual(included, {
        container_registry_id: 'a1',
        container_registry_name: 'alpha',
        container_registry_metadata: { region: 'us-west-2' },
      });
      const [noId] = (
        await catalog.query(
          parseQuery({ filter, projection: 'container_registry_name,-container_registry_id' }),
        )
      ).items;
      assert.deepEqual(noId, { container_registry_name: 'alpha' });
      const [roles] = (
        await catalog.query(
          parseQuery({ filter, projection: { 'container_registry_metadata.contacts.role': 1 } }),
        )
      ).items;
      assert.deepEqual(roles, {
        container_registry_id: 'a1',
        container_registry_metadata: { contacts: [{ role: 'owner' }, { role: 'dev' }] },
      });
      const [excluded] = (
        await catalog.query(
          parseQuery({
            filter,
            projection: { container_registry_config: 0, container_registry_metadata: 0 },
          }),
        )
      ).items;
      assert.deepEqual(Object.keys(excluded!), [
        'container_registry_id',
        'container_registry_name',
        'container_registry_tags',
        'container_registry_public_url',
        'container_registry_image_prefix',
        'container_registry_storage_info',
      ]);
      assert.throws(
        () => parseQuery({ projection: { container_registry_name: 1, container_registry_tags: 0 } }),
        /cannot mix/,
      );
      assert.throws(
        () => parseQuery({ projection: { container_registry_name: 'yes' } }),
        /expected 1 \(include\) or 0/,
      );
      assert.throws(() => parseQuery({ sort: { container_registry_name: 2 } }), /expected 1 or -1/);
      assert.throws(() => parseQuery({ limit: -1 }), /limit: expected a non-negative integer/);
      assert.throws(() => parseQuery({ skip: 'x' }), /skip: expected a non-negative integer/);
    });
  });
}

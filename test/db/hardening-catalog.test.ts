import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogService, parseQuery } from '../../src/catalog/index.js';
import type { MetadataDb } from '../../src/db/index.js';
import { dialects } from '../helpers/dialects.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { entry, refused, values } from '../helpers/catalog-fixtures.js';

for (const dialect of dialects()) {
  describe(`hardening 1: catalog query budgets (${dialect})`, () => {
    let meta: MetadataDb;
    let drop: () => Promise<void>;
    let catalog: CatalogService;
    const count = 3000;
    before(async () => {
      ({ meta, drop } = await freshDatabase(dialect));
      catalog = new CatalogService(meta, { healthcheck: { timeout: 1000, history: 60_000 } });
      const padding = 'p'.repeat(1000);
      await catalog.createMany(
        Array.from({ length: count }, (_, i) => entry(i, `https://r${i}.example`, { padding })),
      );
    });
    after(async () => {
      await drop?.();
    });

    test(`hardening 1: filters as wide as the limits allow run on ${dialect} and agree with the matcher`, async (t) => {
      const wanted = [3, 77, 1500];
      const cases: [string, unknown, number[]][] = [
        [
          '$or of 1,000 clauses',
          { $or: values(1000, 'e').map((id) => ({ container_registry_id: id })) },
          values(1000).map((_, i) => i),
        ],
        [
          '$nor of 1,000 clauses',
          { $nor: values(1000, 'e').map((id) => ({ container_registry_id: id })) },
          values(count - 1000).map((_, i) => 1000 + i),
        ],
        [
          '$or of 1,000 residual clauses',
          { $or: values(1000).map((v) => ({ 'container_registry_metadata.region': v })) },
          [],
        ],
        [
          '$in of 1,000 on an unindexed path',
          { 'container_registry_metadata.region': { $in: [...values(999), 'r3'] } },
          values(count)
            .map((_, i) => i)
            .filter((i) => i % 7 === 3),
        ],
        ['$all of 1,000 tags', { container_registry_tags: { $all: values(1000, 't') } }, []],
        [
          '$and of 1,000 tag clauses',
          { $and: values(1000, 't').map((tag) => ({ container_registry_tags: tag })) },
          [],
        ],
        [
          '$nin of 1,000 tags and $in of 1,000 ids',
          {
            container_registry_tags: { $nin: values(1000, 't').slice(1) },
            container_registry_id: { $in: [...values(997, 'x'), ...wanted.map((i) => `e${i}`)] },
          },
          wanted.filter((i) => i % 10 === 0),
        ],
        [
          '$and of two $or of 1,000',
          {
            $and: Array.from({ length: 2 }, () => ({
              $or: values(1000, 'e').map((id) => ({ container_registry_id: id })),
            })),
          },
          values(1000).map((_, i) => i),
        ],
      ];
      for (const [name, filter, expected] of cases) {
        const started = performance.now();
        const page = await catalog.query(parseQuery({ filter }));
        t.diagnostic(`${name}: ${(performance.now() - started).toFixed(0)} ms, ${page.items.length} entries`);
        assert.deepEqual(
          page.items.map((d) => Number(String(d.container_registry_id).slice(1))).sort((a, b) => a - b),
          expected,
          name,
        );
      }
    });

    test(`hardening 1: a scan past catalog.query.maxscan or its timeout is a 400 (${dialect})`, async () => {
      const residual = { 'container_registry_metadata.index': { $gte: 0 } };
      const small = new CatalogService(meta, {
        healthcheck: { timeout: 1000, history: 60_000 },
        limits: { maxScan: 500 },
      });
      await assert.rejects(
        small.query(parseQuery({ filter: residual })),
        refused('CATALOG_QUERY_TOO_EXPENSIVE', /more than 500 candidate entries \(catalog\.query\.maxscan\)/),
      );
      // A page that fills before the limit is fine: the budget counts what is read, not what exists.
      assert.equal((await small.query(parseQuery({ filter: residual, limit: 10 }))).items.length, 10);
      const hurried = new CatalogService(meta, {
        healthcheck: { timeout: 1000, history: 60_000 },
        limits: { timeout: 1 },
      });
      await assert.rejects(
        hurried.query(parseQuery({ filter: { container_registry_public_url: { $regex: 'r1' } } })),
        refused('CATALOG_QUERY_TOO_EXPENSIVE', /ran longer than 1 ms \(catalog\.query\.timeout\)/),
      );
    });

    test(`hardening 1: a long scan yields: the event loop never waits long (${dialect})`, async (t) => {
      let worst = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 2);
      const started = performance.now();
      let page;
      try {
        // Every entry is a candidate and is parsed and matched: a full scan of 3,000 documents.
        page = await catalog.query(
          parseQuery({ filter: { 'container_registry_metadata.padding': { $regex: 'q' } } }),
        );
      } finally {
        clearInterval(timer);
      }
      const ms = performance.now() - started;
      t.diagnostic(
        `full scan of ${count} entries: ${ms.toFixed(0)} ms; longest event-loop wait ${worst.toFixed(1)} ms`,
      );
      assert.equal(page.items.length, 0);
      assert.ok(worst < 150, `the event loop waited ${worst.toFixed(0)} ms`);
    });
  });
}

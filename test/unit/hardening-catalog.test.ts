import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, parseFilter, parseUpdate } from '../../src/catalog/index.js';
import { QueryBudget } from '../../src/catalog/budget.js';
import { entry, refused, values } from '../helpers/catalog-fixtures.js';

describe('hardening 1: catalog regular expressions run in linear time', () => {
  test('hardening 1: catastrophic $regex patterns over long values are matched in linear time', (t) => {
    // Short values first: a backtracking engine takes about a second per value on the first
    // pattern, so on such an engine this fails here rather than running for hours below.
    const short = Array.from({ length: 5 }, (_, i) => entry(i, 'a'.repeat(16)));
    const long = Array.from({ length: 300 }, (_, i) => entry(i, `https://${'a'.repeat(2000)}-${i}.example`));
    for (const [docs, what] of [
      [short, '5 values of 16 characters'],
      [long, '300 values of 2,000 characters'],
    ] as const) {
      for (const pattern of ['^((.+)+)+Z$', '^(.*){10}Z$', '^(a+)+$']) {
        const filter = parseFilter({ container_registry_public_url: { $regex: pattern } });
        const started = performance.now();
        const matched = docs.filter((d) => matches(d as never, filter)).length;
        const ms = performance.now() - started;
        t.diagnostic(`${pattern} over ${what}: ${ms.toFixed(1)} ms, ${matched} matched`);
        assert.ok(ms < 1000, `${pattern} over ${what} took ${ms.toFixed(0)} ms`);
        assert.equal(matched, pattern === '^(a+)+$' && docs === short ? 5 : 0);
      }
    }
  });

  test('hardening 1: $options map to RE2 flags (i, m, s, u); x and unknown flags are a 400', () => {
    const doc = { container_registry_name: 'Alpha\nbeta' } as never;
    const hit = (regex: string, options?: string) =>
      matches(doc, parseFilter({ container_registry_name: { $regex: regex, $options: options } }));
    assert.equal(hit('^alpha'), false);
    assert.equal(hit('^alpha', 'i'), true);
    assert.equal(hit('^beta'), false);
    assert.equal(hit('^beta', 'm'), true);
    assert.equal(hit('Alpha.beta'), false);
    assert.equal(hit('Alpha.beta', 's'), true);
    assert.equal(hit('^ALPHA.BETA$', 'isu'), true);
    assert.throws(
      () => parseFilter({ container_registry_name: { $regex: 'a b', $options: 'x' } }),
      refused('CATALOG_REQUEST_INVALID', /only the flags i, m, s and u \(x, extended syntax, is not/),
    );
    assert.throws(
      () => parseFilter({ container_registry_name: { $regex: 'a', $options: 'g' } }),
      refused('CATALOG_REQUEST_INVALID', /only the flags i, m, s and u/),
    );
  });

  test('hardening 1: backreferences and lookaround are a 400 naming the reason', () => {
    for (const [pattern, reason] of [
      ['^(a+)\\1$', /backreferences are not supported/],
      ['(?<n>a)\\k<n>', /backreferences are not supported/],
      ['^(?=a)', /lookahead and lookbehind are not supported/],
      ['(?<!a)b', /lookahead and lookbehind are not supported/],
      ['(', /missing closing \)/],
    ] as const) {
      assert.throws(
        () => parseFilter({ container_registry_public_url: { $regex: pattern } }),
        refused('CATALOG_REQUEST_INVALID', reason),
        pattern,
      );
    }
  });

  test('hardening 1: one test is bounded: a huge program over a huge value is refused, not run', () => {
    const filter = parseFilter({ 'container_registry_metadata.blob': { $regex: '(\\pL{100}){10}' } });
    const doc = entry(1, 'https://x', { blob: `${'a'.repeat(999)}-`.repeat(1000) });
    const started = performance.now();
    assert.throws(
      () => matches(doc as never, filter),
      refused('CATALOG_QUERY_TOO_EXPENSIVE', /instructions over a value of 1000000 characters/),
    );
    assert.ok(performance.now() - started < 100);
  });
});

describe('hardening 1: wide filters are refused with the limit named', () => {
  test('hardening 1: 50,000 $in values, a 20,000-branch $or and too many terms are a 400', () => {
    const cases: [unknown, RegExp][] = [
      [{ container_registry_public_url: { $in: values(50_000) } }, /50000 values.*catalog\.query\.maxvalues/],
      [{ container_registry_tags: { $all: values(1001) } }, /1001 values.*catalog\.query\.maxvalues/],
      [{ container_registry_tags: { $nin: values(5000) } }, /catalog\.query\.maxvalues/],
      [
        { $or: values(20_000).map((v) => ({ container_registry_id: v })) },
        /filter\.\$or: 20000 values.*catalog\.query\.maxvalues/,
      ],
      [
        { $and: Array.from({ length: 6 }, () => ({ container_registry_id: { $in: values(1000) } })) },
        /more than 5000 terms.*catalog\.query\.maxterms/,
      ],
    ];
    for (const [filter, message] of cases) {
      assert.throws(() => parseFilter(filter), refused('CATALOG_QUERY_TOO_EXPENSIVE', message));
    }
    assert.throws(
      () => parseUpdate({ $pull: { container_registry_tags: { $in: values(50_000) } } }),
      refused('CATALOG_QUERY_TOO_EXPENSIVE', /update\.\$pull\.container_registry_tags\.\$in: 50000 values/),
    );
    assert.throws(
      () => parseFilter({ container_registry_id: { $in: values(11) } }, { maxValues: 10, maxTerms: 100 }),
      refused('CATALOG_QUERY_TOO_EXPENSIVE', /more than the 10 one operator may have/),
    );
  });

  test('hardening 1: a query budget ends in a 400 at its time limit, and pauses let the loop run', async () => {
    let now = 0;
    const budget = new QueryBudget({ maxScan: 1000, timeout: 50 }, () => now);
    assert.equal(budget.examine(), false);
    now = 10;
    assert.equal(budget.examine(), true, 'a 10 ms slice is over: time to yield');
    await budget.pause();
    assert.equal(budget.examine(), false);
    now = 51;
    assert.throws(
      () => budget.examine(),
      refused(
        'CATALOG_QUERY_TOO_EXPENSIVE',
        /ran longer than 50 ms \(catalog\.query\.timeout\) after examining 4/,
      ),
    );
  });
});

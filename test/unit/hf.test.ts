import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { commitOf, frontMatter, ndjsonLines, nextVersion, Tree } from '../../src/hf/index.js';
import { AppError } from '../../src/errors/index.js';

const collect = async (chunks: string[], max = 64) => {
  const out = [];
  for await (const l of ndjsonLines(Readable.from(chunks.map((c) => Buffer.from(c))), max)) out.push(l);
  return out;
};

describe('the Hub API: pure parts', () => {
  test('NDJSON lines: split anywhere, blank lines skipped, bad lines named, long lines refused', async () => {
    const lines = await collect(['{"a":', '1}\n\n{"b"', ':2}', '\n{"c":3}']);
    assert.deepEqual(
      lines.map((l) => [l.line, l.value]),
      [
        [1, { a: 1 }],
        [3, { b: 2 }],
        [4, { c: 3 }],
      ],
    );
    await assert.rejects(
      collect(['{"a":1}\n{"a":']),
      (e: AppError) => e.status === 400 && /line 2/.test(e.message),
    );
    await assert.rejects(collect(['[1]\n']), /expected a JSON object/);
    await assert.rejects(collect(['{"__proto__": {"x": 1}}\n']), /__proto__/);
    await assert.rejects(collect([`{"a":"${'x'.repeat(100)}"}\n`]), (e: AppError) => e.status === 413);
    await assert.rejects(collect(['x'.repeat(40), 'x'.repeat(40)]), (e: AppError) => e.status === 413);
  });

  test('versions after a commit, commit ids', () => {
    assert.equal(nextVersion(undefined), '1');
    assert.equal(nextVersion('7'), '8');
    assert.equal(nextVersion('1.9'), '1.10');
    assert.equal(nextVersion('v'), 'v-1');
    assert.equal(nextVersion('99999999999999999999'), '100000000000000000000');
    assert.equal(commitOf(`sha256:${'ab'.repeat(32)}`), 'ab'.repeat(20));
  });

  test('README front matter is the card; anything else is none', () => {
    assert.deepEqual(frontMatter('---\nlicense: mit\ntags: [a]\n---\n# x'), { license: 'mit', tags: ['a'] });
    assert.equal(frontMatter('# no card'), null);
    assert.equal(frontMatter('---\n- a list\n---\n'), null);
    assert.equal(frontMatter('---\n: : bad\n  yaml: [\n---\n'), null);
  });

  test('tree listings: folders derived from paths, children or everything below, entries by path', () => {
    const file = (path: string, size = 1) => ({
      path,
      size,
      digest: `sha256:${'c'.repeat(64)}`,
      mediaType: '',
    });
    const tree = new Tree(
      [file('a/b/c.bin'), file('a/d.txt'), file('e.txt'), { ...file('x'), path: null }],
      'f'.repeat(40),
    );
    assert.deepEqual(
      tree.list('', false).map((e) => e.path),
      ['a', 'e.txt'],
    );
    assert.deepEqual(
      tree.list('', true).map((e) => `${e.type}:${e.path}`),
      ['directory:a', 'directory:a/b', 'file:a/b/c.bin', 'file:a/d.txt', 'file:e.txt'],
    );
    assert.deepEqual(
      tree.list('a', false).map((e) => e.path),
      ['a/b', 'a/d.txt'],
    );
    assert.equal(tree.entry('a/b')?.type, 'directory');
    assert.equal(tree.entry('a/d.txt')?.type, 'file');
    assert.equal(tree.entry('a/'), undefined);
    assert.equal(tree.isFolder('e.txt'), false);
  });
});

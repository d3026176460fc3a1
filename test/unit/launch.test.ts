import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/arca.js';
import { nodeFlagsOf } from '../helpers/node-flags.js';

test('npm start runs Node with the options the arca command line asks for', () => {
  const flags = nodeFlagsOf(join(REPO_ROOT, 'src', 'cli', 'main.ts'));
  assert.ok(flags.includes('--max-semi-space-size=8'), flags.join(' '));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  assert.ok(pkg.scripts.start.includes(`node ${flags.join(' ')} dist/cli/main.js serve`), pkg.scripts.start);
});

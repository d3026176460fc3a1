import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { writeTree } from '../helpers/asset-files.js';
import { dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { makeTempDir } from '../helpers/tmp.js';
import { PushState } from '../../src/cli/transfer/push-state.js';

const MiB = 1024 * 1024;

for (const dialect of dialects()) {
  describe(`arca model push run again after its publish (${dialect})`, () => {
    let arca: RunningArca;
    const tmp = makeTempDir('arca-republish-');
    const cache = join(tmp.path, 'cache');
    const push = (dir: string, name: string) =>
      exec(
        process.execPath,
        [ARCA_MAIN, 'model', 'push', dir, '-r', 'default', '--name', name, '--version', '1', '-o', 'json'],
        { env: { ARCA_SERVER: arca.url, XDG_CACHE_HOME: cache, ARCA_API_KEY: '' }, timeoutMs: 60_000 },
      );
    /** The state a run killed between its publish and its clean-up leaves: every file sent, by digest. */
    const leaveState = (dir: string, name: string, digests: Record<string, string>) => {
      const previous = process.env.XDG_CACHE_HOME;
      process.env.XDG_CACHE_HOME = cache;
      try {
        const state = PushState.open([arca.url, `default/models/${name}`, '1', dir]);
        for (const [path, digest] of Object.entries(digests)) {
          const s = statSync(join(dir, path));
          state.get(path, s.size, s.mtimeMs);
          state.update(path, { digest, done: true });
        }
        return state.file;
      } finally {
        if (previous === undefined) delete process.env.XDG_CACHE_HOME;
        else process.env.XDG_CACHE_HOME = previous;
      }
    };

    before(async () => {
      arca = await startArca({ dialect });
    });
    after(async () => {
      await arca?.stop();
      await tmp.cleanup();
    });

    test('the same files: success, nothing sent; other files: already exists, nothing changed', async () => {
      const dir = join(tmp.path, 'model');
      const digests = writeTree(dir, { 'weights.bin': 2 * MiB + 1, 'config.json': 300 });
      const first = await push(dir, 'again');
      assert.equal(first.code, 0, first.stderr);
      const published = JSON.parse(first.stdout) as { digest: string };

      const stateFile = leaveState(dir, 'again', digests);
      const rerun = await push(dir, 'again');
      assert.equal(rerun.code, 0, rerun.stderr);
      const view = JSON.parse(rerun.stdout) as { digest: string; transfer: { bytesSent: number } };
      assert.equal(view.digest, published.digest, 'the version published before');
      assert.equal(view.transfer.bytesSent, 0);
      assert.equal(existsSync(stateFile), false, 'the state is gone');

      // A state that says other bytes were sent: not this version.
      leaveState(dir, 'again', { ...digests, 'config.json': `sha256:${'0'.repeat(64)}` });
      const other = await push(dir, 'again');
      assert.equal(other.code, 1);
      assert.match(other.stderr, /already exists/);
      // Without a state: nothing says which files were sent, so the version is refused as before.
      const fresh = join(tmp.path, 'fresh-cache');
      const none = await exec(
        process.execPath,
        [ARCA_MAIN, 'model', 'push', dir, '-r', 'default', '--name', 'again', '--version', '1'],
        { env: { ARCA_SERVER: arca.url, XDG_CACHE_HOME: fresh, ARCA_API_KEY: '' }, timeoutMs: 60_000 },
      );
      assert.equal(none.code, 1);
      assert.match(none.stderr, /already exists/);
      const after = (await (
        await fetch(`${arca.url}/api/v1/registries/default/models/again/versions/1`)
      ).json()) as { digest: string };
      assert.equal(after.digest, published.digest, 'nothing changed');
    });
  });
}

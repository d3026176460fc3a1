import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { receivedBytes, writeTree } from '../helpers/asset-files.js';
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

    test('a file the registry holds under another asset is mounted from there, not sent again', async () => {
      const shared = join(tmp.path, 'shared');
      writeTree(shared, { 'base.bin': 6 * MiB + 7 });
      const first = await push(shared, 'base-model');
      assert.equal(first.code, 0, first.stderr);
      const tuned = join(tmp.path, 'tuned');
      writeTree(tuned, { 'base.bin': 6 * MiB + 7, 'adapter.bin': 1000 });
      const before = await receivedBytes(arca.url);
      const second = await push(tuned, 'fine-tune');
      assert.equal(second.code, 0, second.stderr);
      const sent = (await receivedBytes(arca.url)) - before;
      assert.ok(sent < MiB, `the second push sent ${sent} bytes`);
      const transfer = (JSON.parse(second.stdout) as { transfer: { alreadyThere: number } }).transfer;
      assert.equal(transfer.alreadyThere, 1);
      const file = await fetch(
        `${arca.url}/api/v1/registries/default/models/fine-tune/versions/1/files/base.bin`,
      );
      assert.equal(file.status, 200);
      assert.equal(Buffer.from(await file.arrayBuffer()).length, 6 * MiB + 7);
      // No upload left open by the mount.
      const metrics = await (await fetch(`${arca.url}/metrics`)).text();
      assert.match(metrics, /^arca_uploads_in_progress 0$/m);
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

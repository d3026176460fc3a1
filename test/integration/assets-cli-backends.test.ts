import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { digestOf, receivedBytes, writeTree } from '../helpers/asset-files.js';
import { sharedCephRgw, stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { storageLabel, storages } from '../helpers/storages.js';
import { makeTempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;

after(stopSharedCephRgw);

for (const [dialect, storage] of dialects().flatMap((d) => storages().map((s) => [d, s] as const))) {
  describe(`arca model push and pull (${dialect}${storageLabel(storage)})`, () => {
    let arca: RunningArca | undefined;
    const tmp = makeTempDir('arca-assets-backends-');
    after(async () => {
      await arca?.stop();
      await tmp.cleanup();
    });

    test('a push killed mid-transfer continues; the pull is byte-identical', async () => {
      arca = await startArca({ dialect, storage });
      const server = arca.url;
      const env = {
        ARCA_SERVER: server,
        XDG_CACHE_HOME: join(tmp.path, 'cache'),
        ARCA_API_KEY: undefined,
        // Straight to the bucket on S3: the CLI trusts the gateway's certificate as a client would.
        ...(storage === 's3' ? { NODE_EXTRA_CA_CERTS: (await sharedCephRgw()).caFile } : {}),
      };
      const dir = join(tmp.path, 'model');
      const sizes = {
        'weights/part-1.bin': 40 * MiB,
        'weights/part-2.bin': 40 * MiB + 5,
        'config.json': 700,
      };
      const digests = writeTree(dir, sizes);
      const total = Object.values(sizes).reduce((a, b) => a + b, 0);
      const args = [
        'model',
        'push',
        dir,
        '-r',
        'default',
        '--name',
        'm',
        '--version',
        '1',
        '--chunk-size',
        '5',
        '--parallel',
        '1',
      ];

      const start = await receivedBytes(server);
      const child = spawn(process.execPath, [ARCA_MAIN, ...args], {
        env: { ...process.env, ...env, ARCA_API_KEY: '' },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const deadline = Date.now() + 120_000;
      // Through Arca (filesystem): killed once 24 MiB came in. Straight to the bucket (S3): killed
      // once the bucket holds a part, as fast as parts go there; what it held must not be sent again.
      const direct = storage === 's3';
      let held = 0;
      for (;;) {
        assert.ok(Date.now() < deadline && child.exitCode === null, 'the push ended before it was killed');
        held = await arca.bytesInOpenUploads();
        if (direct ? held > 0 : (await receivedBytes(server)) - start >= 24 * MiB) break;
        await sleep(20);
      }
      child.kill('SIGKILL');
      await exited;
      const mid = await receivedBytes(server);

      const done = await exec(process.execPath, [ARCA_MAIN, ...args, '-o', 'json'], {
        env,
        timeoutMs: 300_000,
      });
      assert.equal(done.code, 0, done.stderr);
      const { bytesSent } = (JSON.parse(done.stdout) as { transfer: { bytesSent: number } }).transfer;
      if (direct) {
        assert.ok(
          bytesSent <= total - held,
          `the re-run sent ${bytesSent}; the bucket held ${held} of ${total}`,
        );
        assert.ok(
          (await receivedBytes(server)) - mid < MiB,
          'the bytes went to the bucket, not through Arca',
        );
      } else {
        const resent = (await receivedBytes(server)) - mid;
        assert.ok(resent < total - 16 * MiB, `the re-run sent ${resent} of ${total} bytes to Arca`);
        assert.ok(bytesSent < total - 16 * MiB, `the re-run sent ${bytesSent} of ${total} bytes`);
      }

      const out = join(tmp.path, 'out');
      const pulled = await exec(
        process.execPath,
        [ARCA_MAIN, 'model', 'pull', 'm:1', out, '-r', 'default', '--chunk-size', '8'],
        { env, timeoutMs: 300_000 },
      );
      assert.equal(pulled.code, 0, pulled.stderr);
      for (const [path, digest] of Object.entries(digests))
        assert.equal(digestOf(join(out, path)), digest, path);
    });
  });
}

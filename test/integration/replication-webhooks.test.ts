import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { verifySignature } from '../../src/notifications/index.js';
import { apiClient } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { pushBlob } from '../helpers/oci-push.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait-for.js';

const secret = 'a-webhook-secret-of-enough-length';

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface ReplicationEvent {
  action: string;
  target: {
    repository: string;
    digest: string;
    size: number;
    location: string;
    source: string;
    error?: string;
  };
}

for (const dialect of dialects()) {
  describe(`replication events delivered to a webhook (${dialect})`, () => {
    let arca: RunningArca;
    let dirs: TempDir;
    let receiver: Server;
    let port: number;
    const received: Delivery[] = [];

    before(async () => {
      dirs = makeTempDir('arca-repl-hooks-');
      // A location whose root lies under a regular file: every write there fails (ENOTDIR), root or not.
      const blocker = join(dirs.path, 'not-a-directory');
      writeFileSync(blocker, 'a file');
      port = await freePort();
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
      arca = await startArca({
        dialect,
        config: {
          locations: {
            home: { storage: { filesystem: { rootdirectory: join(dirs.path, 'home') } } },
            away: { storage: { filesystem: { rootdirectory: join(dirs.path, 'away') } } },
            broken: { storage: { filesystem: { rootdirectory: join(blocker, 'store') } } },
          },
          gc: { enabled: false },
          jobs: { pollinterval: '100ms', maxattempts: 2, backoff: { base: '100ms', max: '200ms' } },
        },
      });
    });

    after(async () => {
      await arca?.stop();
      receiver?.close();
      await dirs?.cleanup();
    });

    test('a copy to a location that refuses writes fails for good: the webhook asking for replication.failed gets it, signed, with the error the copy row keeps; a copy that works sends replication.finished', async () => {
      const api = apiClient(arca.url);
      await api.ok('POST', '/api/v1/registries', {
        name: 'mirrored',
        primary_location: 'home',
        locations: ['away', 'broken'],
      });
      await api.ok('POST', '/api/v1/registries/mirrored/webhooks', {
        url: `http://127.0.0.1:${port}/hook`,
        secret,
        events: ['replication.failed', 'replication.finished'],
      });
      const data = Buffer.from('bytes that one location will never hold');
      const digest = await pushBlob(arca.url, 'mirrored/app', data);

      const events = () =>
        received.map((d) => (JSON.parse(d.body) as { events: ReplicationEvent[] }).events[0]!);
      await waitFor(
        async () => events(),
        (seen) => seen.some((e) => e.action === 'replication.failed'),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      // Every job settled: nothing more is coming.
      await waitFor(
        async () =>
          ((await api.ok('GET', '/api/v1/jobs?state=queued')).body as { items: unknown[] }).items.length +
          ((await api.ok('GET', '/api/v1/jobs?state=running')).body as { items: unknown[] }).items.length,
        (n) => n === 0,
        { timeoutMs: 30_000, intervalMs: 100 },
      );

      const seen = events();
      const failed = seen.filter((e) => e.action === 'replication.failed');
      assert.equal(failed.length, 1, JSON.stringify(seen));
      const { target } = failed[0]!;
      assert.equal(target.repository, 'mirrored/app');
      assert.equal(target.digest, digest);
      assert.equal(target.size, data.length);
      assert.equal(target.location, 'broken');
      assert.equal(target.source, 'home');
      assert.ok(target.error, 'the event says why the last attempt failed');
      const finished = seen.filter((e) => e.action === 'replication.finished');
      assert.deepEqual(
        finished.map((e) => [e.target.location, e.target.digest]),
        [['away', digest]],
      );
      for (const d of received) {
        const signature = d.headers['x-arca-signature-256'];
        assert.equal(typeof signature, 'string');
        assert.ok(verifySignature(secret, d.body, signature as string), 'a valid signature');
      }

      // The copy stays owed, with its error, and its job failed after its two attempts.
      const status = (
        (await api.ok('GET', '/api/v1/registries/mirrored')).body as {
          replication: { location: string; pending_copies: number; last_error: string | null }[];
        }
      ).replication.find((l) => l.location === 'broken')!;
      assert.equal(status.pending_copies, 1);
      assert.equal(status.last_error, target.error);
      const jobs = (
        (await api.ok('GET', '/api/v1/jobs?kind=oci.replicate&state=failed')).body as {
          items: { attempts: number; payload: { location: string } }[];
        }
      ).items;
      assert.deepEqual(
        jobs.map((j) => [j.payload.location, j.attempts]),
        [['broken', 2]],
      );
    });
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { serverEnv } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';

/** How long the load runs; the acceptance's full run is ARCA_TEST_GC_LOAD_SECONDS=180. */
const loadSeconds = Number(process.env.ARCA_TEST_GC_LOAD_SECONDS ?? 20);
const graceSeconds = 3;

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Every blob file under a filesystem store's root, with its size. */
function storedBlobs(root: string): Map<string, number> {
  const found = new Map<string, number>();
  const dir = join(root, 'blobs', 'sha256');
  if (!existsSync(dir)) return found;
  for (const prefix of readdirSync(dir))
    for (const hex of readdirSync(join(dir, prefix)))
      found.set(`sha256:${hex}`, statSync(join(dir, prefix, hex)).size);
  return found;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

interface Entry {
  repository: string;
  tag: string;
  digest: string;
  blobs: string[];
}

function client(arca: RunningArca) {
  const url = arca.url;
  const push = async (repository: string, tag: string, contents: Buffer[]): Promise<Entry> => {
    const blobs = [];
    for (const data of contents) {
      const digest = sha256(data);
      const res = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(data),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`blob push: HTTP ${res.status}`);
      blobs.push({ digest, size: data.length });
    }
    const [config, ...layers] = blobs;
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
    });
    const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body,
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest push: HTTP ${res.status} ${text}`);
    return { repository, tag, digest: sha256(body), blobs: blobs.map((b) => b.digest) };
  };
  /** Pull a tag whole; the status of the first thing that failed, or 200. */
  const pull = async (repository: string, tag: string): Promise<number> => {
    const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
      headers: { accept: OCI_MANIFEST },
    });
    if (res.status !== 200) return res.status;
    const manifest = (await res.json()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [manifest.config, ...manifest.layers]) {
      const blob = await fetch(`${url}/v2/${repository}/blobs/${d.digest}`);
      const bytes = Buffer.from(await blob.arrayBuffer());
      if (blob.status !== 200) return blob.status;
      if (sha256(bytes) !== d.digest) return -1;
    }
    return 200;
  };
  const del = async (path: string) => (await fetch(`${url}${path}`, { method: 'DELETE' })).status;
  return { push, pull, del };
}

async function cli(arca: RunningArca, args: string[]) {
  return exec(process.execPath, [ARCA_MAIN, ...args, '--config', arca.configPath], {
    env: serverEnv(),
    cleanEnv: true,
  });
}

for (const dialect of dialects()) {
  test(`gc under load: pushes, tag moves, deletes and pulls run beside GC; then fsck is clean, live tags pull, unreferenced bytes are gone (${dialect})`, async (t) => {
    const shared = makeTempDir('arca-gc-shared-');
    const arca = await startArca({
      dialect,
      config: {
        storage: { delete: { enabled: true } },
        gc: { graceperiod: `${graceSeconds}s`, interval: '1s' },
        jobs: { pollinterval: '200ms' },
        locations: { shared: { storage: { filesystem: { rootdirectory: shared.path } } } },
      },
    });
    try {
      const { push, pull, del } = client(arca);
      const base = randomBytes(64 * 1024);
      const live = new Map<string, Entry>();
      const removed = new Set<string>();
      const failures: string[] = [];
      let pushes = 0;
      let pulls = 0;
      let deletes = 0;
      let moves = 0;
      const deadline = Date.now() + loadSeconds * 1000;
      const loop = async (step: () => Promise<void>) => {
        while (Date.now() < deadline) {
          try {
            await step();
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      };
      let n = 0;
      const pusher = async () => {
        const i = n++;
        const entry = await push(`load/r${i % 4}`, `t${i}`, [
          Buffer.from(`config ${i}`),
          base,
          randomBytes(16 * 1024),
        ]);
        live.set(`${entry.repository}:${entry.tag}`, entry);
        pushes++;
      };
      const mover = async () => {
        const entry = await push('load/moving', 'latest', [
          Buffer.from(`moving ${moves}`),
          base,
          randomBytes(8 * 1024),
        ]);
        live.set('load/moving:latest', entry);
        moves++;
      };
      const deleter = async () => {
        const keys = [...live.keys()].filter((k) => !k.startsWith('load/moving'));
        if (keys.length < 8) return void (await sleep(50));
        const key = keys[Math.floor(Math.random() * keys.length)]!;
        const entry = live.get(key)!;
        live.delete(key);
        removed.add(key);
        // Half by digest (the manifest goes), half by tag (the manifest is left untagged, for GC).
        const status =
          deletes % 2 === 0
            ? await del(`/v2/${entry.repository}/manifests/${entry.digest}`)
            : await del(`/v2/${entry.repository}/manifests/${entry.tag}`);
        if (status !== 202) failures.push(`delete: HTTP ${status}`);
        deletes++;
      };
      const puller = async () => {
        const keys = [...live.keys()];
        if (keys.length === 0) return void (await sleep(20));
        const key = keys[Math.floor(Math.random() * keys.length)]!;
        const [repository, tag] = key.split(':') as [string, string];
        const status = await pull(repository, tag);
        pulls++;
        // A tag deleted or moved while it was pulled may fail; one still live may not.
        if (status !== 200 && live.has(key) && !removed.has(key) && key !== 'load/moving:latest')
          failures.push(`pull ${key}: ${status}`);
      };
      await Promise.all([loop(pusher), loop(pusher), loop(mover), loop(deleter), loop(puller), loop(puller)]);
      const storage = join(arca.dataDir, 'storage');
      const before = storedBlobs(storage);

      // A registry on a shared location, force-deleted: its bytes there go; what another keeps stays.
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${arca.url}${path}`, {
          method,
          headers: body ? { 'content-type': 'application/json' } : {},
          body: body ? JSON.stringify(body) : undefined,
        });
      for (const name of ['doomed', 'keeper'])
        assert.equal(
          (await api('POST', '/api/v1/registries', { name, primary_location: 'shared' })).status,
          201,
        );
      const common = randomBytes(4096);
      const doomed = await push('doomed/app', 'v1', [
        Buffer.from('doomed config'),
        common,
        randomBytes(4096),
      ]);
      const keeper = await push('keeper/app', 'v1', [Buffer.from('keeper config'), common]);
      assert.equal((await api('DELETE', '/api/v1/registries/doomed?force=true')).status, 200);

      // GC reaches a steady state: nothing more is due.
      const settle = Date.now() + 60_000;
      let dry = '';
      await sleep((graceSeconds + 2) * 1000);
      for (;;) {
        const result = await cli(arca, ['gc', '--dry-run', '-o', 'json']);
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout) as { manifests: unknown[]; blobs: unknown[] };
        dry = result.stdout;
        if (report.manifests.length === 0 && report.blobs.length === 0) break;
        assert.ok(Date.now() < settle, `GC did not settle: ${dry}`);
        await sleep(1000);
      }

      const fsck = await cli(arca, ['fsck']);
      assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
      assert.match(fsck.stdout, / 0 problems/);
      for (const [key, entry] of live)
        assert.equal(await pull(entry.repository, entry.tag), 200, `pull ${key}`);
      assert.equal(await pull('keeper/app', 'v1'), 200);

      const after = storedBlobs(storage);
      const referenced = new Set([...live.values()].flatMap((e) => e.blobs));
      const unreferenced = [...after.keys()].filter((d) => !referenced.has(d));
      assert.deepEqual(unreferenced, [], 'every stored blob is one a live tag references');
      for (const d of referenced) assert.ok(after.has(d), `a live blob ${d} is stored`);
      const sharedAfter = storedBlobs(shared.path);
      assert.deepEqual(
        [...sharedAfter.keys()].sort(),
        [...keeper.blobs].sort(),
        "only the keeper's blobs stay",
      );
      assert.ok(!sharedAfter.has(doomed.blobs[2]!));

      const metrics = await (await fetch(`${arca.url}/metrics`)).text();
      const reclaimed = Number(/^arca_gc_reclaimed_bytes_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      t.diagnostic(
        `${loadSeconds}s: ${pushes} pushes, ${moves} tag moves, ${deletes} deletes, ${pulls} pulls; ` +
          `storage ${before.size} blobs / ${total(before)} bytes before GC settled, ${after.size} / ${total(after)} after; ` +
          `arca_gc_reclaimed_bytes_total ${reclaimed}`,
      );
      assert.deepEqual(failures, []);
      assert.ok(reclaimed > 0);
    } finally {
      await arca.stop();
      await shared.cleanup();
    }
  });
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobSource, RemoteFile } from '../../src/cli/transfer/blob-source.js';
import { fileSlice } from '../../src/cli/transfer/file-slice.js';
import { walkDir } from '../../src/cli/transfer/local-files.js';
import { pullFiles } from '../../src/cli/transfer/pull-files.js';
import { pushFiles, type PushResult } from '../../src/cli/transfer/push-files.js';
import { PushState } from '../../src/cli/transfer/push-state.js';
import { ServerAuth } from '../../src/cli/transfer/server-auth.js';
import { TransferError, TransferHttp, type TransferRequest } from '../../src/cli/transfer/transfer-http.js';
import { TransferProgress } from '../../src/cli/transfer/transfer-progress.js';
import { V2BlobSink } from '../../src/cli/transfer/v2-blob-sink.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { digestOf, receivedBytes, writeTree } from '../helpers/asset-files.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
const chunk = 4 * MiB;

/** A progress that aborts the transfer once `limit` bytes have moved. */
class AbortAfter extends TransferProgress {
  private moved = 0;
  constructor(
    private readonly limit: number,
    private readonly controller: AbortController,
  ) {
    super('quiet', 'test');
  }
  override add(n: number): void {
    super.add(n);
    this.moved += n;
    if (this.moved >= this.limit) this.controller.abort();
  }
}

/** Blob reads over /v2 by digest: the same Range semantics as the asset API's file downloads. */
class V2Source implements BlobSource {
  ranges = 0;
  constructor(
    private readonly http: TransferHttp,
    private readonly repository: string,
  ) {}
  async read(file: RemoteFile, start: number, end: number, signal: AbortSignal) {
    this.ranges++;
    const res = await this.http.expect(
      {
        method: 'GET',
        url: `/v2/${this.repository}/blobs/${file.digest}`,
        repository: this.repository,
        headers: { Range: `bytes=${start}-${end}` },
        signal,
      },
      [206],
    );
    return res.body as AsyncIterable<Uint8Array>;
  }
}

/** Requests a source was asked for: the file's path and the first byte of each. */
interface Asked {
  path: string;
  start: number;
}

/**
 * A source in front of another that can break its answers: `cut(asked, n)` says after how many
 * bytes of that answer to fail (or undefined), `alter` may change a chunk before it is handed on.
 */
class FaultySource implements BlobSource {
  readonly asked: Asked[] = [];
  constructor(
    private readonly inner: BlobSource,
    private readonly cut: (asked: Asked, index: number) => { after: number; error: Error } | undefined,
    private readonly alter?: (file: RemoteFile, chunk: Uint8Array, at: number) => Uint8Array,
  ) {}
  async read(file: RemoteFile, start: number, end: number, signal: AbortSignal) {
    const asked = { path: file.path, start };
    this.asked.push(asked);
    const fault = this.cut(asked, this.asked.length - 1);
    const body = await this.inner.read(file, start, end, signal);
    const alter = this.alter;
    return (async function* () {
      let at = start;
      for await (const chunk of body) {
        if (fault && at + chunk.length > start + fault.after) {
          yield chunk.subarray(0, start + fault.after - at);
          throw fault.error;
        }
        yield alter ? alter(file, chunk, at) : chunk;
        at += chunk.length;
      }
    })();
  }
}

/**
 * An HTTP client that starts reading a request body only a while after the body was made, as fetch
 * does when its connection is slow to open (a loaded machine): every byte must still go out.
 */
class LateReader extends TransferHttp {
  override send(req: TransferRequest): Promise<Response> {
    const make = req.body;
    if (!make) return super.send(req);
    return super.send({
      ...req,
      body: () => {
        const body = make();
        if (typeof body === 'string' || body === null || body === undefined) return body;
        return (async function* () {
          await sleep(150);
          yield* body as unknown as AsyncIterable<Uint8Array>;
        })() as unknown as RequestInit['body'];
      },
    });
  }
}

describe('transfer engine over /v2', () => {
  let arca: RunningArca;
  let tmp: TempDir;
  let http: TransferHttp;
  const previousCache = process.env.XDG_CACHE_HOME;

  before(async () => {
    tmp = makeTempDir('arca-engine-');
    process.env.XDG_CACHE_HOME = join(tmp.path, 'cache');
    arca = await startArca();
    http = new TransferHttp(new ServerAuth(arca.url));
  });
  after(async () => {
    if (previousCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = previousCache;
    await arca?.stop();
    await tmp?.cleanup();
  });

  async function push(
    dir: string,
    repository: string,
    signal = new AbortController().signal,
    progress?: TransferProgress,
  ) {
    const files = await walkDir(dir);
    const state = PushState.open([arca.url, repository, '1', dir]);
    return pushFiles(files, {
      sink: new V2BlobSink(http, repository, chunk),
      state,
      progress: progress ?? new TransferProgress('quiet', 'test'),
      parallel: 2,
      signal,
    });
  }

  test('files go up as blobs once; a second run sends nothing', async () => {
    const dir = join(tmp.path, 'plain');
    const digests = writeTree(dir, {
      'a.txt': 1000,
      empty: 0,
      'sub/b.bin': 5 * MiB,
      'sub/deep/c.bin': 9 * MiB + 7,
    });
    const first = await push(dir, 'engine/plain');
    assert.deepEqual(Object.fromEntries(first.files.map((f) => [f.path, f.digest])), digests);
    for (const digest of Object.values(digests)) {
      const res = await fetch(`${arca.url}/v2/engine/plain/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(res.status, 200, digest);
    }
    const before = await receivedBytes(arca.url);
    const second = await push(dir, 'engine/plain');
    assert.equal(second.bytesSent, 0);
    assert.equal(second.alreadyThere, 4);
    assert.ok((await receivedBytes(arca.url)) - before < 64 * 1024, 'a re-run sends no file bytes');
  });

  test('an interrupted push continues from the server offset; finished files are not sent again', async () => {
    const dir = join(tmp.path, 'resume');
    const sizes = { 'one.bin': 3 * MiB, 'two.bin': 30 * MiB, 'three.bin': 30 * MiB };
    writeTree(dir, sizes);
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    const controller = new AbortController();
    const before = await receivedBytes(arca.url);
    await assert.rejects(push(dir, 'engine/resume', controller.signal, new AbortAfter(20 * MiB, controller)));
    const state = JSON.parse(
      readFileSync(PushState.open([arca.url, 'engine/resume', '1', dir]).file, 'utf8'),
    ) as {
      files: Record<string, { digest?: string; upload?: string; done?: boolean }>;
    };
    assert.ok(
      Object.values(state.files).some((f) => f.upload !== undefined),
      'an open upload session is remembered',
    );
    const mid = await receivedBytes(arca.url);
    const rerun: PushResult = await push(dir, 'engine/resume');
    const after = await receivedBytes(arca.url);
    assert.equal(rerun.files.length, 3);
    // The two runs together sent the files once, plus at most one chunk per file in flight at the stop.
    assert.ok(after - before <= total + 2 * chunk + 256 * 1024, `${after - before} bytes for ${total}`);
    assert.ok(
      after - mid < total - 10 * MiB,
      `the re-run sent ${after - mid} bytes, a restart would send ${total}`,
    );
    for (const f of rerun.files) {
      const res = await fetch(`${arca.url}/v2/engine/resume/blobs/${f.digest}`, { method: 'HEAD' });
      assert.equal(res.status, 200);
    }
  });

  test('a pull writes byte-identical files, in ranges, and continues after an interruption', async () => {
    const dir = join(tmp.path, 'src-pull');
    const digests = writeTree(dir, { 'w/model.bin': 21 * MiB + 3, 'config.json': 300, zero: 0 });
    const pushed = await push(dir, 'engine/pull');
    const files = pushed.files.map((f) => ({ ...f }));
    const source = new V2Source(http, 'engine/pull');
    const out = join(tmp.path, 'out-pull');
    mkdirSync(out);
    const controller = new AbortController();
    await assert.rejects(
      pullFiles(files, {
        root: out,
        source,
        progress: new AbortAfter(9 * MiB, controller),
        parallel: 2,
        segmentSize: 2 * MiB,
        signal: controller.signal,
      }),
    );
    assert.ok(existsSync(join(out, 'w/model.bin.part.json')), 'the finished ranges are recorded');
    const rangesBefore = source.ranges;
    const result = await pullFiles(files, {
      root: out,
      source,
      progress: new TransferProgress('quiet', 'test'),
      parallel: 3,
      segmentSize: 2 * MiB,
      signal: new AbortController().signal,
    });
    assert.ok(
      source.ranges - rangesBefore < 11,
      `only missing ranges fetched (${source.ranges - rangesBefore})`,
    );
    assert.ok(result.bytesReceived < 21 * MiB);
    for (const [path, digest] of Object.entries(digests))
      assert.equal(digestOf(join(out, path)), digest, path);
    assert.deepEqual(readdirSync(join(out, 'w')), ['model.bin']);
    const again = await pullFiles(files, {
      root: out,
      source,
      progress: new TransferProgress('quiet', 'test'),
      parallel: 3,
      signal: new AbortController().signal,
    });
    assert.equal(again.alreadyThere, 3);
  });

  test('a pull stopped hard continues from the recorded ranges only: whatever else is in the partial file is fetched again', async () => {
    const dir = join(tmp.path, 'src-hard');
    const digests = writeTree(dir, { 'a.bin': 13 * MiB + 11, 'b.bin': 9 * MiB });
    const files = (await push(dir, 'engine/hard')).files.map((f) => ({ ...f }));
    const out = join(tmp.path, 'out-hard');
    mkdirSync(out);
    const opts = {
      root: out,
      progress: new TransferProgress('quiet', 'test') as TransferProgress,
      parallel: 3,
      segmentSize: 2 * MiB,
      signal: new AbortController().signal,
    };
    // The sixth answer breaks for good halfway: the run ends the way a kill leaves things on disk.
    const stop = new TransferError('gone', 400, false);
    const first = new FaultySource(new V2Source(http, 'engine/hard'), (_, i) =>
      i === 5 ? { after: MiB, error: stop } : undefined,
    );
    await assert.rejects(pullFiles(files, { ...opts, source: first }), /gone/);
    // Bytes outside the recorded ranges are not trusted: scribble over them, as a torn write might.
    let recorded = 0;
    for (const f of files) {
      const part = join(out, `${f.path}.part`);
      if (!existsSync(part)) continue;
      const state = JSON.parse(readFileSync(`${part}.json`, 'utf8')) as { done: number[] };
      recorded += state.done.length;
      const bytes = readFileSync(part);
      for (let i = 0; i * 2 * MiB < f.size; i++)
        if (!state.done.includes(i)) bytes.fill(0xa5, i * 2 * MiB, Math.min((i + 1) * 2 * MiB, bytes.length));
      writeFileSync(part, bytes);
    }
    assert.ok(recorded > 0, 'some ranges were recorded before the stop');
    const second = new FaultySource(new V2Source(http, 'engine/hard'), () => undefined);
    await pullFiles(files, { ...opts, source: second });
    assert.equal(second.asked.length, 12 - recorded, 'only the ranges not recorded are fetched');
    for (const [path, digest] of Object.entries(digests))
      assert.equal(digestOf(join(out, path)), digest, path);
    assert.deepEqual(readdirSync(out).sort(), ['a.bin', 'b.bin']);
  });

  test('a broken answer is asked again from the byte it stopped at', async () => {
    const dir = join(tmp.path, 'src-broken');
    const digests = writeTree(dir, { 'm.bin': 11 * MiB + 5 });
    const files = (await push(dir, 'engine/broken')).files.map((f) => ({ ...f }));
    const out = join(tmp.path, 'out-broken');
    mkdirSync(out);
    // The first answer for each range breaks after 1.5 MiB plus a few bytes (a connection reset).
    const broken = new Set<number>();
    const source = new FaultySource(new V2Source(http, 'engine/broken'), ({ start }) => {
      if (start % (4 * MiB) !== 0 || broken.has(start)) return undefined;
      broken.add(start);
      return { after: 1.5 * MiB + 3, error: new Error('socket hang up') };
    });
    const result = await pullFiles(files, {
      root: out,
      source,
      progress: new TransferProgress('quiet', 'test'),
      parallel: 2,
      segmentSize: 4 * MiB,
      signal: new AbortController().signal,
    });
    assert.equal(digestOf(join(out, 'm.bin')), digests['m.bin']);
    const again = source.asked.filter(({ start }) => start % (4 * MiB) !== 0);
    assert.deepEqual(
      again.map(({ start }) => start).sort((a, b) => a - b),
      [0, 4 * MiB, 8 * MiB].map((s) => s + 1.5 * MiB + 3),
      'each broken range continued once, from the byte after the last one received',
    );
    assert.equal(result.bytesReceived, 11 * MiB + 5, 'no byte fetched twice');
  });

  test('a range whose bytes were altered on the way fails the sha256 check and leaves nothing behind', async () => {
    const dir = join(tmp.path, 'src-altered');
    writeTree(dir, { 'w.bin': 7 * MiB + 1, 'ok.txt': 10 });
    const files = (await push(dir, 'engine/altered')).files.map((f) => ({ ...f }));
    const out = join(tmp.path, 'out-altered');
    mkdirSync(out);
    let altered = false;
    const source = new FaultySource(
      new V2Source(http, 'engine/altered'),
      () => undefined,
      (file, chunk, at) => {
        // One byte flipped in the third range of w.bin.
        const target = 5 * MiB + 17;
        if (file.path !== 'w.bin' || at > target || at + chunk.length <= target) return chunk;
        altered = true;
        const copy = Buffer.from(chunk);
        copy[target - at] = (copy[target - at] as number) ^ 0xff;
        return copy;
      },
    );
    await assert.rejects(
      pullFiles(files, {
        root: out,
        source,
        progress: new TransferProgress('quiet', 'test'),
        parallel: 3,
        segmentSize: 2 * MiB,
        signal: new AbortController().signal,
      }),
      /w\.bin: sha256 mismatch .*removed, run again/,
    );
    assert.ok(altered);
    assert.ok(!readdirSync(out).some((name) => name.startsWith('w.bin')), readdirSync(out).join(', '));
  });

  test('a pull refuses hostile paths before writing anything, and never writes through a symlink', async () => {
    const out = join(tmp.path, 'out-hostile');
    mkdirSync(out);
    const good = { path: 'ok.txt', size: 1, digest: 'sha256:' + '0'.repeat(64) };
    const opts = {
      root: out,
      source: new V2Source(http, 'engine/pull'),
      progress: new TransferProgress('quiet', 'test'),
      parallel: 1,
      signal: new AbortController().signal,
    };
    for (const path of ['../../x', '/etc/passwd', 'a/../../x', 'nul\u0000x', 'a//b', 'c:\\x', 'ok.txt']) {
      const files = path === 'ok.txt' ? [good, good] : [good, { ...good, path }];
      await assert.rejects(pullFiles(files, opts), /refused|twice/, path);
    }
    assert.deepEqual(readdirSync(out), [], 'nothing written');
    assert.ok(!existsSync(join(tmp.path, 'x')));

    const outside = join(tmp.path, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(out, 'link'));
    await assert.rejects(pullFiles([{ ...good, path: 'link/file' }], opts), /not a plain folder/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test('a push refuses a symbolic link that leaves the folder', async () => {
    const dir = join(tmp.path, 'leaky');
    mkdirSync(dir);
    writeFileSync(join(dir, 'in.txt'), 'x');
    symlinkSync(join(tmp.path, 'plain', 'a.txt'), join(dir, 'out.txt'));
    await assert.rejects(walkDir(dir), /leaves/);
    rmSync(join(dir, 'out.txt'));
    symlinkSync(join(dir, 'in.txt'), join(dir, 'same.txt'));
    assert.deepEqual(
      (await walkDir(dir)).map((f) => f.path),
      ['in.txt', 'same.txt'],
      'a link to a file inside is followed',
    );
  });

  test('a file slice counts its bytes as they are taken, and loses none when read late', async () => {
    const dir = join(tmp.path, 'slice');
    writeTree(dir, { 'f.bin': 3 * MiB + 5 });
    let counted = 0;
    const body = fileSlice(join(dir, 'f.bin'), MiB, 3 * MiB + 4, (n) => (counted += n));
    await sleep(100);
    assert.equal(counted, 0, 'nothing is read before the body is taken');
    let got = 0;
    for await (const chunk of body) got += chunk.length;
    assert.equal(got, 2 * MiB + 5);
    assert.equal(counted, got);
  });

  test('a chunked push whose bodies are read late stores exactly the file', async () => {
    const dir = join(tmp.path, 'push');
    const sizes = { 'a.bin': 7 * MiB + 11, 'b.bin': 7 * MiB + 11 };
    const digests = writeTree(dir, sizes);
    const http = new LateReader(new ServerAuth(arca.url));
    const before = await receivedBytes(arca.url);
    const result = await pushFiles(await walkDir(dir), {
      sink: new V2BlobSink(http, 'late/push', 2 * MiB),
      state: PushState.open([arca.url, 'late/push', '1', dir]),
      progress: new TransferProgress('quiet', 'test'),
      parallel: 2,
      signal: new AbortController().signal,
    });
    assert.deepEqual(Object.fromEntries(result.files.map((f) => [f.path, f.digest])), digests);
    assert.equal(result.bytesSent, sizes['a.bin'] + sizes['b.bin']);
    const received = (await receivedBytes(arca.url)) - before;
    assert.ok(received < result.bytesSent + 256 * 1024, `${received} bytes received for ${result.bytesSent}`);
    for (const digest of Object.values(digests)) {
      const res = await fetch(`${arca.url}/v2/late/push/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(res.status, 200, digest);
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileSlice } from '../../src/cli/transfer/file-slice.js';
import { walkDir } from '../../src/cli/transfer/local-files.js';
import { pushFiles } from '../../src/cli/transfer/push-files.js';
import { PushState } from '../../src/cli/transfer/push-state.js';
import { ServerAuth } from '../../src/cli/transfer/server-auth.js';
import { TransferHttp, type TransferRequest } from '../../src/cli/transfer/transfer-http.js';
import { TransferProgress } from '../../src/cli/transfer/transfer-progress.js';
import { V2BlobSink } from '../../src/cli/transfer/v2-blob-sink.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { receivedBytes, writeTree } from '../helpers/asset-files.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;

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

describe('request bodies read late', () => {
  let arca: RunningArca;
  let tmp: TempDir;
  const previousCache = process.env.XDG_CACHE_HOME;

  before(async () => {
    tmp = makeTempDir('arca-late-body-');
    process.env.XDG_CACHE_HOME = join(tmp.path, 'cache');
    arca = await startArca();
  });
  after(async () => {
    if (previousCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = previousCache;
    await arca?.stop();
    await tmp?.cleanup();
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

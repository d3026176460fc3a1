import { pull } from '../client.js';
import { largeBlob } from './shared.js';
import { MiBps, type Phase } from './types.js';

/**
 * Pull of the large blob (GET /blobs/<digest>, one connection). The client either only counts the
 * bytes, or also hashes them and compares with the digest. The blob was just written, so both
 * servers read it from the page cache.
 */
function pullPhase(verify: boolean): Phase {
  return {
    id: verify ? 'pull-verify' : 'pull-count',
    title: (s) => `pull ${s.large / 2 ** 20} MiB (${verify ? 'verify sha256' : 'count bytes'})`,
    async run(ctx) {
      const blob = await largeBlob(ctx);
      const { use } = await ctx.measure(() => pull(ctx.server.url, 'bench/mono', blob, verify));
      return { metrics: [MiBps(blob.size, use.seconds)] };
    },
  };
}

export const pullCount = pullPhase(false);
export const pullVerify = pullPhase(true);

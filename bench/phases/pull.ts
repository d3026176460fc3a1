import { pull } from '../client.js';
import { largeBlob } from './shared.js';
import { MiBps, type Phase } from './types.js';

/** Pulls per phase: one pull of a GiB varies by a third on a noisy machine; the phase takes their median. */
const PULLS = 3;

/**
 * Pulls of the large blob (GET /blobs/<digest>, one connection each, one after another). The
 * client either only counts the bytes, or also hashes them and compares with the digest. The blob
 * was just written, so both servers read it from the page cache. CPU and RSS cover all the pulls.
 */
function pullPhase(verify: boolean): Phase {
  return {
    id: verify ? 'pull-verify' : 'pull-count',
    title: (s) =>
      `pull ${s.large / 2 ** 20} MiB (${verify ? 'verify sha256' : 'count bytes'}, median of ${PULLS})`,
    async run(ctx) {
      const blob = await largeBlob(ctx);
      const { result: seconds } = await ctx.measure(async () => {
        const each: number[] = [];
        for (let i = 0; i < PULLS; i++) {
          const t0 = performance.now();
          await pull(ctx.server.url, 'bench/mono', blob, verify);
          each.push((performance.now() - t0) / 1000);
        }
        return each.sort((a, b) => a - b)[Math.floor(PULLS / 2)]!;
      });
      return { metrics: [MiBps(blob.size, seconds)] };
    },
  };
}

export const pullCount = pullPhase(false);
export const pullVerify = pullPhase(true);

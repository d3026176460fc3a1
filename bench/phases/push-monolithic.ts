import { pushMonolithic } from '../client.js';
import { MiBps, type Phase } from './types.js';

/**
 * Monolithic push: POST /blobs/uploads/, then one PUT ?digest= carrying the whole blob, for both
 * servers (registry:2 2.8 ignores the body of a single `POST ?digest=`). New content every round.
 */
function monolithic(which: 'small' | 'large'): Phase {
  return {
    id: `push-mono-${which}`,
    title: (s) => `push ${s[which] / 2 ** 20} MiB monolithic`,
    async run(ctx) {
      const blob = ctx.blob(`mono-${which}`, ctx.sizes[which]);
      const { use } = await ctx.measure(() => pushMonolithic(ctx.server.url, 'bench/mono', blob));
      if (which === 'large') await ctx.once('large blob in bench/mono', async () => blob);
      return { metrics: [MiBps(blob.size, use.seconds)] };
    },
  };
}

export const pushMonolithicSmall = monolithic('small');
export const pushMonolithicLarge = monolithic('large');

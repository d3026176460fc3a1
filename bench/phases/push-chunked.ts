import { pushChunked } from '../client.js';
import { MiBps, type Phase } from './types.js';

/** Chunked push: POST, PATCHes of `sizes.chunk` bytes with Content-Range, then PUT ?digest= without a body. */
function chunked(which: 'small' | 'large'): Phase {
  return {
    id: `push-chunked-${which}`,
    title: (s) => `push ${s[which] / 2 ** 20} MiB in ${s.chunk / 2 ** 20} MiB chunks`,
    async run(ctx) {
      const blob = ctx.blob(`chunked-${which}`, ctx.sizes[which]);
      const { use } = await ctx.measure(() =>
        pushChunked(ctx.server.url, 'bench/chunked', blob, ctx.sizes.chunk),
      );
      return { metrics: [MiBps(blob.size, use.seconds)] };
    },
  };
}

export const pushChunkedSmall = chunked('small');
export const pushChunkedLarge = chunked('large');

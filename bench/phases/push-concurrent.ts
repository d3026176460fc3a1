import { pushMonolithic } from '../client.js';
import { MiBps, type Phase } from './types.js';

/** `concurrent` monolithic pushes at once, distinct content, each into its own repository. */
export const pushConcurrent: Phase = {
  id: 'push-concurrent',
  title: (s) => `${s.concurrent} concurrent pushes of ${s.concurrentSize / 2 ** 20} MiB`,
  async run(ctx) {
    const { concurrent, concurrentSize } = ctx.sizes;
    const blobs = Array.from({ length: concurrent }, (_, i) => ctx.blob(`concurrent-${i}`, concurrentSize));
    const { use } = await ctx.measure(() =>
      Promise.all(blobs.map((b, i) => pushMonolithic(ctx.server.url, `bench/concurrent-${i}`, b))),
    );
    return { metrics: [MiBps(concurrent * concurrentSize, use.seconds)] };
  },
};

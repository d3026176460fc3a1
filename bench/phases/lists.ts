import { putManifest } from '../client.js';
import { sequential } from '../load.js';
import { imageIn, ociManifest } from './shared.js';
import { loadResult, type Phase, type PhaseContext } from './types.js';

const repo = 'bench/tags';

/** `sizes.tags` tags on one manifest in `bench/tags`, put 16 at a time (untimed). */
function tagged(ctx: PhaseContext): Promise<string[]> {
  return ctx.once('tags', async () => {
    const image = await imageIn(ctx, repo);
    const tags = Array.from({ length: ctx.sizes.tags }, (_, i) => `t${String(i).padStart(5, '0')}`);
    for (let i = 0; i < tags.length; i += 16)
      await Promise.all(
        tags.slice(i, i + 16).map((t) => putManifest(ctx.server.url, repo, t, image.manifest, ociManifest)),
      );
    return tags;
  });
}

function parse(body: Buffer | undefined): unknown {
  try {
    return JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    return undefined;
  }
}

/** GET /v2/bench/tags/tags/list, `listRequests` times one after another; every reply must list all tags. */
export const tagList: Phase = {
  id: 'tag-list',
  title: (s) => `tag list (${s.tags} tags)`,
  async run(ctx) {
    const tags = await tagged(ctx);
    const { result } = await ctx.measure(() =>
      sequential(
        ctx.server.url,
        {
          method: 'GET',
          path: `/v2/${repo}/tags/list`,
          collect: true,
          check: (r) => {
            if (r.status !== 200) return `status ${r.status}`;
            const listed = (parse(r.body) as { tags?: unknown } | undefined)?.tags;
            if (!Array.isArray(listed)) return 'no tags array';
            return listed.length === tags.length
              ? undefined
              : `${listed.length} tags listed, expected ${tags.length}`;
          },
        },
        ctx.sizes.listRequests,
      ),
    );
    return loadResult(result);
  },
};

/**
 * GET /v2/_catalog (no `n`: each server's default page), `listRequests` times one after another.
 * The repositories are those the earlier phases of the round made; every reply must include `bench/tags`.
 */
export const catalog: Phase = {
  id: 'catalog',
  title: () => 'catalog',
  async run(ctx) {
    await tagged(ctx);
    let listed = 0;
    const { result } = await ctx.measure(() =>
      sequential(
        ctx.server.url,
        {
          method: 'GET',
          path: '/v2/_catalog',
          collect: true,
          check: (r) => {
            if (r.status !== 200) return `status ${r.status}`;
            const repos = (parse(r.body) as { repositories?: unknown } | undefined)?.repositories;
            if (!Array.isArray(repos)) return 'no repositories array';
            listed = repos.length;
            return repos.includes(repo) ? undefined : `${repo} not listed`;
          },
        },
        ctx.sizes.listRequests,
      ),
    );
    const outcome = loadResult(result);
    outcome.details = { ...outcome.details, repositoriesListed: listed };
    return outcome;
  },
};

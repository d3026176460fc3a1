import { catalog, tagList } from './lists.js';
import { manifestGet } from './manifest-get.js';
import { manifestHead } from './manifest-head.js';
import { manifestPut } from './manifest-put.js';
import { pullCount, pullVerify } from './pull.js';
import { pushChunkedLarge, pushChunkedSmall } from './push-chunked.js';
import { pushConcurrent } from './push-concurrent.js';
import { pushMonolithicLarge, pushMonolithicSmall } from './push-monolithic.js';
import type { Phase } from './types.js';

/** Every phase, in the order a round runs them. */
export const phases: readonly Phase[] = [
  pushMonolithicSmall,
  pushMonolithicLarge,
  pushChunkedSmall,
  pushChunkedLarge,
  pullCount,
  pullVerify,
  pushConcurrent,
  manifestPut,
  manifestGet,
  manifestHead,
  tagList,
  catalog,
];

export type { Phase, PhaseContext, PhaseResult, Sizes, Metric } from './types.js';

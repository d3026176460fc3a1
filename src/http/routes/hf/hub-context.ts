import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../access/index.js';
import { repoIdText, type Hub, type HubRepoId, type HubRepoType } from '../../../hf/index.js';

export interface HubRoutesOptions {
  hub: Hub;
  /** File downloads answer 307 to the backend's short-lived URL when it has one, as /v2 blob GETs. */
  redirect: boolean;
}

export type HubParams = { owner: string; name: string; rev: string; '*'?: string };
export type HubRequest = FastifyRequest<{
  Params: HubParams;
  Querystring: Record<string, string | undefined>;
}>;

/** Every Hub route asks access about the repository it names, anonymous callers included. */
export const anyCaller = { config: { access: 'caller' as const } };

export const repoTypes: readonly { type: HubRepoType; api: string; files: string }[] = [
  { type: 'model', api: '/api/models', files: '' },
  { type: 'dataset', api: '/api/datasets', files: '/datasets' },
];

export function repoId(type: HubRepoType, params: { owner: string; name: string }): HubRepoId {
  return { type, owner: params.owner, name: params.name };
}

export function callerOf(request: FastifyRequest): Caller | undefined {
  return request.caller;
}

/** Who is named as the author of what a request writes. */
export function byOf(request: FastifyRequest): string | null {
  return request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null;
}

/** This server's Hub endpoint as the client reached it (`HF_ENDPOINT`, `hubUrl`). */
export function hubBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/hf`;
}

/** A repository's address under the Hub endpoint (`<owner>/<name>`, datasets under `datasets/`). */
export function repoPath(id: HubRepoId): string {
  return `${id.type === 'dataset' ? 'datasets/' : ''}${repoIdText(id)}`;
}

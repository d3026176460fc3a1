import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestRecord } from './registry-event.js';

/** Who caused an event: read when the event is made, so the signed-in user is known by then. */
export type RequestContext = () => { request: RequestRecord; actor?: string };

const storage = new AsyncLocalStorage<RequestContext>();

/** Run `next` (the rest of a request) with its context: the HTTP app's first hook calls this. */
export function runInRequestContext(context: RequestContext, next: () => void): void {
  storage.run(context, next);
}

const internal: RequestRecord = { id: '', addr: '', host: '', method: '', useragent: '' };

/** The current request's record and actor, or empty ones for work no request caused. */
export function currentRequest(): { request: RequestRecord; actor?: string } {
  return storage.getStore()?.() ?? { request: internal };
}

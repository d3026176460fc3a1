import type { NotificationEndpoint } from '../config/index.js';
import { JobFailed, RetryLater, backoffDelay, type ClaimedJob, type JobHandler } from '../jobs/index.js';
import type { Outbound } from '../net/index.js';
import type { Delivery } from './notifier.js';
import { envelope, eventsMediaType } from './registry-event.js';
import { signBody, signatureHeader } from './signature.js';
import type { WebhookService } from './webhook-service.js';

export interface DeliveryOptions {
  outbound: Pick<Outbound, 'request'>;
  endpoints: readonly NotificationEndpoint[];
  webhooks: Pick<WebhookService, 'open'>;
  /** The longest wait between attempts (jobs.backoff.max). */
  maxBackoff: number;
}

/**
 * Sends one delivery: the event in registry:2's envelope, POSTed with its media type; to a webhook
 * also signed (`X-Arca-Signature-256: sha256=<hex HMAC-SHA256 of the body with the secret>`). A 2xx
 * answer is delivered; anything else is retried: for an endpoint after its own `backoff` once
 * `threshold` attempts failed in a row (doubling from there), for a webhook by the jobs' backoff.
 * A delivery whose endpoint or webhook is gone is dropped.
 */
export function deliveryHandler(options: DeliveryOptions): JobHandler<Delivery> {
  return async (job: ClaimedJob<Delivery>, signal: AbortSignal) => {
    const { to, event } = job.payload;
    const body = envelope(event);
    const headers: Record<string, string> = {
      'Content-Type': eventsMediaType,
      'User-Agent': 'arca-notifications',
    };
    let url: string;
    let timeoutMs: number | undefined;
    let retryDelay: number | undefined;
    if ('endpoint' in to) {
      const endpoint = options.endpoints.find((e) => e.name === to.endpoint);
      if (!endpoint || endpoint.disabled) return;
      for (const [name, values] of Object.entries(endpoint.headers)) headers[name] = values.join(', ');
      url = endpoint.url;
      timeoutMs = endpoint.timeout;
      retryDelay =
        job.attempt < endpoint.threshold
          ? Math.min(endpoint.backoff, options.maxBackoff)
          : backoffDelay(
              { base: endpoint.backoff, max: options.maxBackoff },
              job.attempt - endpoint.threshold + 1,
            );
    } else if ('webhook' in to) {
      const hook = await options.webhooks.open(to.webhook);
      if (!hook) return;
      url = hook.url;
      headers[signatureHeader] = signBody(hook.secret, body);
      headers['X-Arca-Event-Id'] = event.id;
    } else {
      throw new JobFailed('a delivery names neither an endpoint nor a webhook');
    }
    let status: number;
    try {
      const answer = await options.outbound.request(url, {
        method: 'POST',
        headers,
        body,
        timeoutMs,
        signal,
        maxBodyBytes: 64 * 1024,
      });
      status = answer.status;
    } catch (err) {
      const message = `delivery failed: ${(err as Error).message}`;
      throw retryDelay === undefined ? new Error(message) : new RetryLater(message, retryDelay);
    }
    if (status >= 200 && status < 300) return;
    const message = `the receiver answered ${status}`;
    throw retryDelay === undefined ? new Error(message) : new RetryLater(message, retryDelay);
  };
}

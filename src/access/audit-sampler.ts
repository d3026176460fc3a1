import { addressGroup } from './address-group.js';
import type { AuditEvent } from './audit.js';

/** Distinct (actor, action, outcome) kept apart per source and window; more fold into one. */
const maxKeysPerSource = 16;
/** Distinct keys per window over all sources; more fold into one per outcome. */
const maxKeys = 10_000;

interface Bucket {
  first: AuditEvent;
  /** Events after the first, not written yet. */
  repeated: number;
  since: number;
  until: number;
}

/**
 * Keeps refusals from growing the audit log without bound. Per window, the first refusal of each
 * (source, actor, action, outcome) is written as it comes; the ones after it are only counted, and
 * `drain` turns each count into one row. A source is an address, an IPv6 /64 (`addressGroup`). A
 * source that varies the actor or action keeps at most `maxKeysPerSource` keys apart, everything
 * beyond folds into one key per outcome; over `maxKeys` keys in all, the rest fold into one per
 * outcome for every source. So a window writes at most about twice the keys, whatever the traffic.
 */
export class RefusalSampler {
  private buckets = new Map<string, Bucket>();
  private keysOfSource = new Map<string, number>();
  private started: number;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Has the current window ended (time to `drain`)? */
  get windowOver(): boolean {
    return this.now() - this.started >= this.windowMs;
  }

  /** Should this refusal be written now (true), or was it counted (false)? */
  admit(event: AuditEvent): boolean {
    const now = this.now();
    const source = addressGroup(event.remote ?? '');
    let key = `${source}\0${event.actor ?? ''}\0${event.action}\0${event.outcome}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const keys = this.keysOfSource.get(source) ?? 0;
      if (this.buckets.size >= maxKeys) key = `*\0\0*\0${event.outcome}`;
      else if (keys >= maxKeysPerSource) key = `${source}\0\0*\0${event.outcome}`;
      else this.keysOfSource.set(source, keys + 1);
      bucket = this.buckets.get(key);
    }
    if (bucket) {
      bucket.repeated += 1;
      bucket.until = now;
      return false;
    }
    this.buckets.set(key, { first: event, repeated: 0, since: now, until: now });
    return true;
  }

  /**
   * One event per key that repeated since its first: the count and the time span, the first's
   * source, actor and action (unless folded). Starts a new window.
   */
  drain(): AuditEvent[] {
    const summaries: AuditEvent[] = [];
    for (const [key, bucket] of this.buckets) {
      if (bucket.repeated === 0) continue;
      const [source, , action] = key.split('\0') as [string, string, string];
      const folded = action === '*';
      summaries.push({
        actor: folded ? null : bucket.first.actor,
        actorKind: folded ? null : bucket.first.actorKind,
        action: folded ? 'audit.refusals' : bucket.first.action,
        outcome: bucket.first.outcome,
        method: folded ? null : bucket.first.method,
        status: folded ? null : bucket.first.status,
        remote: source === '*' ? null : bucket.first.remote,
        detail: {
          repeated: bucket.repeated,
          since: new Date(bucket.since).toISOString(),
          until: new Date(bucket.until).toISOString(),
          ...(folded ? { folded: source === '*' ? 'many sources' : 'many actors or actions' } : {}),
        },
      });
    }
    this.buckets = new Map();
    this.keysOfSource = new Map();
    this.started = this.now();
    return summaries;
  }
}

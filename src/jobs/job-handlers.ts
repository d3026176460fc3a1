/** A claimed job as its handler sees it. */
export interface ClaimedJob<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
}

/**
 * What runs a kind of job. It must be idempotent: a job whose worker died after the work but before
 * marking it done runs again. `signal` aborts when the server stops or the lease is lost. Throwing
 * retries the job after the backoff (or `RetryLater`'s delay) until its attempts run out.
 */
export type JobHandler<P = unknown> = (job: ClaimedJob<P>, signal: AbortSignal) => Promise<void>;

/** Thrown by a handler that knows when to try again (a receiver's own backoff). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** Thrown by a handler for a job that can never succeed: it fails at once, without more attempts. */
export class JobFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailed';
  }
}

/**
 * The kinds of jobs and what runs each: every room with background work (notifications,
 * replication, garbage collection) registers its kinds here at start-up.
 */
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register<P>(kind: string, handler: JobHandler<P>): void {
    if (this.handlers.has(kind)) throw new Error(`jobs: kind '${kind}' is registered twice`);
    this.handlers.set(kind, handler as JobHandler);
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind);
  }

  get kinds(): string[] {
    return [...this.handlers.keys()];
  }
}

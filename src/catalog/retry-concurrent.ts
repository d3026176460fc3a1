import { AppError } from '../errors/index.js';

const maxAttempts = 5;

/**
 * Run an optimistic write until it lands: `attempt` returns its result, or undefined when another
 * writer changed the row first. After a few lost races the caller is told to retry (UNAVAILABLE).
 */
export async function retryConcurrent<T>(attempt: () => Promise<T | undefined>, busy: string): Promise<T> {
  for (let i = 0; i < maxAttempts; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new AppError('UNAVAILABLE', busy);
}

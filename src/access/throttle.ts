import { addressGroup } from './address-group.js';

/** Limits of the login throttle; defaults in `defaultThrottleLimits`. */
export interface ThrottleLimits {
  /** Failures of one account from one address before that pair must wait. */
  pairFreeFailures: number;
  /** Failures from one address (any account) before the address must wait. */
  addressFreeFailures: number;
  /** Failures of one account (any address) before every attempt on it is slowed a little. */
  accountFreeFailures: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest wait of a pair or an address. */
  maxDelayMs: number;
  /** The longest slow-down of an account under attack from many addresses (everyone pays it). */
  accountMaxDelayMs: number;
  /** Failures older than this are forgotten. */
  forgetAfterMs: number;
}

export const defaultThrottleLimits: ThrottleLimits = {
  pairFreeFailures: 5,
  addressFreeFailures: 30,
  accountFreeFailures: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  accountMaxDelayMs: 2_000,
  forgetAfterMs: 60 * 60_000,
};

interface Counter {
  failures: number;
  last: number;
  blockedUntil: number;
}

export type ThrottleDecision = { allowed: true; delayMs: number } | { allowed: false; retryAfterMs: number };

/**
 * Failed logins, counted per (account, address) pair, per address and per account, each with a
 * growing delay; an IPv6 address counts as its /64 (`addressGroup`). A password check is counted
 * as a failure when it starts (`attempt`) and forgiven when it succeeds, so simultaneous guesses see
 * each other: of a burst, only the first few are checked. A pair or an address that keeps failing
 * must wait (refused without checking the password, the wait doubling up to `maxDelayMs`); an
 * account failing from many addresses is slowed for everyone by at most `accountMaxDelayMs`, never
 * locked: an attacker elsewhere cannot lock the owner out. Counters live in this process: with
 * several replicas each counts its own share.
 */
export class LoginThrottle {
  private readonly pairs = new Map<string, Counter>();
  private readonly addresses = new Map<string, Counter>();
  private readonly accounts = new Map<string, Counter>();

  constructor(
    private readonly limits: ThrottleLimits = defaultThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** May this attempt be checked now, and after how long a pause? */
  check(account: string, rawAddress: string): ThrottleDecision {
    const address = addressGroup(rawAddress);
    const now = this.now();
    const waits = [this.pairs.get(pairKey(account, address)), this.addresses.get(address)]
      .map((c) => (c && this.fresh(c, now) ? c.blockedUntil - now : 0))
      .filter((ms) => ms > 0);
    if (waits.length > 0) return { allowed: false, retryAfterMs: Math.max(...waits) };
    const accountCounter = this.accounts.get(account);
    let delayMs = 0;
    if (accountCounter && this.fresh(accountCounter, now)) {
      const over = accountCounter.failures - this.limits.accountFreeFailures;
      if (over > 0) delayMs = Math.min(this.limits.accountMaxDelayMs, 50 * 2 ** Math.min(over, 20));
    }
    return { allowed: true, delayMs };
  }

  failure(account: string, rawAddress: string): void {
    const address = addressGroup(rawAddress);
    const now = this.now();
    this.bump(this.pairs, pairKey(account, address), this.limits.pairFreeFailures, now);
    this.bump(this.addresses, address, this.limits.addressFreeFailures, now);
    this.bump(this.accounts, account, Number.POSITIVE_INFINITY, now);
  }

  /** A check is starting: count it as a failure now, before its outcome is known; see `success`. */
  attempt(account: string, address: string): void {
    this.failure(account, address);
  }

  /** The right password from this address: its pair starts over, the attempt counted is forgiven. */
  success(account: string, rawAddress: string): void {
    const address = addressGroup(rawAddress);
    this.pairs.delete(pairKey(account, address));
    this.forgive(this.addresses.get(address), this.limits.addressFreeFailures);
    this.forgive(this.accounts.get(account), Number.POSITIVE_INFINITY);
  }

  private forgive(counter: Counter | undefined, free: number): void {
    if (!counter || counter.failures === 0) return;
    counter.failures -= 1;
    if (counter.failures <= free) counter.blockedUntil = 0;
  }

  private fresh(counter: Counter, now: number): boolean {
    return now - counter.last < this.limits.forgetAfterMs;
  }

  private bump(map: Map<string, Counter>, key: string, free: number, now: number): void {
    let counter = map.get(key);
    if (!counter || !this.fresh(counter, now)) counter = { failures: 0, last: now, blockedUntil: 0 };
    counter.failures += 1;
    counter.last = now;
    const over = counter.failures - free;
    if (over > 0) {
      counter.blockedUntil =
        now + Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** Math.min(over - 1, 30));
    }
    map.delete(key);
    map.set(key, counter);
    if (map.size > 100_000) this.prune(map, now);
  }

  /** Drop forgotten counters, oldest first (a Map iterates in insertion order, refreshed on bump). */
  private prune(map: Map<string, Counter>, now: number): void {
    for (const [key, counter] of map) {
      if (this.fresh(counter, now) && map.size <= 50_000) break;
      map.delete(key);
    }
  }
}

function pairKey(account: string, address: string): string {
  return `${account}\0${address}`;
}

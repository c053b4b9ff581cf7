/**
 * Reconnect delays: exponential backoff with full jitter (a uniformly random delay between
 * zero and the exponential cap), so that many clients dropped at once do not come back in
 * lock-step. The first retry is quick because most drops are brief.
 */

export interface BackoffOptions {
  /** Delay cap of the first retry, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000 };

/** The delay before retry number `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  // Never less than a small floor: a zero delay would spin on a server that refuses at once.
  const floor = Math.min(100, cap);
  return floor + Math.floor(random() * (cap - floor));
}

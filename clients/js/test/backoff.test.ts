import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff';

describe('backoffDelay', () => {
  const opts = { initialMs: 500, maxMs: 15_000 };

  it('grows exponentially up to the cap with the top of the jitter range', () => {
    const top = () => 0.999999;
    const delays = [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts, top));
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 14_999, 14_999]);
  });

  it('is jittered across the whole range between a small floor and the cap', () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(100);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, opts);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThan(4000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it('does not overflow for very large attempt numbers', () => {
    expect(backoffDelay(10_000, opts, () => 0.5)).toBeLessThanOrEqual(15_000);
  });
});

/**
 * A minimal observable value: immutable snapshots replaced on every change, so UI code can
 * subscribe (React's `useSyncExternalStore`) and compare by reference.
 */

export type Listener<T> = (value: T, previous: T) => void;

export class Store<T> {
  private value: T;
  private readonly listeners = new Set<Listener<T>>();

  constructor(initial: T) {
    this.value = initial;
  }

  get(): T {
    return this.value;
  }

  /** Replaces the value (or derives it from the current one) and notifies listeners. */
  set(next: T | ((current: T) => T)): void {
    const previous = this.value;
    const value = typeof next === 'function' ? (next as (current: T) => T)(previous) : next;
    if (Object.is(value, previous)) return;
    this.value = value;
    for (const l of [...this.listeners]) l(value, previous);
  }

  /** Shallow-merges a patch into an object value. */
  patch(this: Store<T & object>, patch: Partial<T>): void {
    this.set((current) => ({ ...current, ...patch }));
  }

  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

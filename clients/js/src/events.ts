/** A typed event emitter for socket events and the client's own local events. */

import type { ChatEvent } from './types';

export type EventHandler = (event: ChatEvent) => void;

export class Emitter {
  private readonly handlers = new Map<string, Set<EventHandler>>();

  /** Subscribes to one event type, or to every event with `'all'`. Returns the unsubscribe. */
  on(type: string, handler: EventHandler): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  emit(event: ChatEvent): void {
    for (const key of [event.type, 'all']) {
      const set = this.handlers.get(key);
      if (!set) continue;
      for (const h of [...set]) h(event);
    }
  }
}

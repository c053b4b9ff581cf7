/**
 * The queue of pending sends. Every send goes through it, in order, so a message typed
 * offline and one typed after reconnecting arrive in the order they were written. An item
 * leaves the queue when the server has the message (sent, or "already exists" for a retry
 * whose first try got through) or refuses it (failed); a network error stops the flush and
 * leaves the item for the next one, to be retried with the same message id.
 *
 * Bounded: at most `limit` items. When full, a new send is refused at once (it shows as
 * failed, with the reason) rather than dropping an older message the user already saw
 * as sending.
 */

import { ApiError, isNetworkError } from './errors';
import type { Message } from './types';

export interface PendingSend {
  cid: string;
  channelType: string;
  channelId: string;
  /** The message body of the request, with its client-chosen `id`. */
  message: Record<string, unknown> & { id: string };
}

export interface QueueHandlers {
  send(item: PendingSend): Promise<Message>;
  /** Fetches a message by id (after "already exists"). */
  fetch(id: string): Promise<Message>;
  sent(item: PendingSend, message: Message): void;
  failed(item: PendingSend, reason: string): void;
  /** Whether sending should be tried now. */
  canSend(): boolean;
}

export const DEFAULT_QUEUE_LIMIT = 500;

export class SendQueue {
  private readonly items: PendingSend[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly handlers: QueueHandlers,
    readonly limit = DEFAULT_QUEUE_LIMIT,
  ) {}

  get size(): number {
    return this.items.length;
  }

  pending(): readonly PendingSend[] {
    return this.items;
  }

  /** Adds a send; false (and nothing queued) when the queue is full. */
  push(item: PendingSend): boolean {
    if (this.items.some((i) => i.message.id === item.message.id)) return true;
    if (this.items.length >= this.limit) return false;
    this.items.push(item);
    return true;
  }

  /** Sends what is queued, in order, until empty or the network fails. */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.run().finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  private async run(): Promise<void> {
    for (;;) {
      const item = this.items[0];
      if (!item || !this.handlers.canSend()) return;
      try {
        const message = await this.handlers.send(item);
        this.items.shift();
        this.handlers.sent(item, message);
      } catch (e) {
        if (isNetworkError(e)) return; // keep it; the next flush retries with the same id
        if (e instanceof ApiError && e.isDuplicateMessage) {
          try {
            const message = await this.handlers.fetch(item.message.id);
            this.items.shift();
            this.handlers.sent(item, message);
          } catch (fetchError) {
            if (isNetworkError(fetchError)) return;
            this.items.shift();
            this.handlers.failed(item, String(fetchError));
          }
          continue;
        }
        this.items.shift();
        this.handlers.failed(item, e instanceof Error ? e.message : String(e));
      }
    }
  }
}

/**
 * Pure operations on message lists, kept sorted oldest first by `created_at` then `id`.
 * Merging is keyed by message id so that a message seen twice (own echo, recovery
 * re-query, retried send) is kept once, the newer copy winning.
 */

import type { LocalMessage, Message, MessageStatus } from './types';

function time(m: Message): number {
  if (!m.created_at) return Number.MAX_SAFE_INTEGER; // not yet stored: newest
  const t = Date.parse(m.created_at);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

export function compareMessages(a: Message, b: Message): number {
  const d = time(a) - time(b);
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A server copy of a message, marked with the status the client gives it. */
export function fromServer(m: Message, status: MessageStatus = 'received'): LocalMessage {
  return { ...m, status };
}

/**
 * Merges `incoming` into `existing` (both sorted): an incoming copy replaces the kept one
 * with the same id, except that a local `sending`/`failed` message keeps its status until
 * the server's copy says otherwise through `status` on the incoming one.
 */
export function mergeMessages(existing: readonly LocalMessage[], incoming: readonly LocalMessage[]): LocalMessage[] {
  if (incoming.length === 0) return existing as LocalMessage[];
  const byId = new Map<string, LocalMessage>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) {
    const kept = byId.get(m.id);
    if (kept && kept.status !== 'received' && m.status === 'received') {
      // Our own message came back from the server (echo or re-query): it is sent.
      byId.set(m.id, { ...m, status: 'sent' });
    } else {
      byId.set(m.id, m);
    }
  }
  return [...byId.values()].sort(compareMessages);
}

/** Replaces one message by id, if present. */
export function updateMessage(
  list: readonly LocalMessage[],
  id: string,
  update: (m: LocalMessage) => LocalMessage,
): LocalMessage[] {
  const i = list.findIndex((m) => m.id === id);
  if (i < 0) return list as LocalMessage[];
  const next = list.slice();
  next[i] = update(list[i] as LocalMessage);
  return next;
}

export function removeMessage(list: readonly LocalMessage[], id: string): LocalMessage[] {
  const next = list.filter((m) => m.id !== id);
  return next.length === list.length ? (list as LocalMessage[]) : next;
}

/** Whether a message belongs in the channel's main list (not a thread-only reply). */
export function inChannelList(m: Message): boolean {
  return !m.parent_id || m.show_in_channel === true;
}

/** A fresh client-chosen message id: unique, ≤255 chars, without `,` or `%`. */
export function newMessageId(userId: string): string {
  const c = globalThis.crypto;
  const rand =
    c && typeof c.randomUUID === 'function'
      ? c.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
  return `${userId.replace(/[,%]/g, '_')}-${rand}`.slice(0, 255);
}

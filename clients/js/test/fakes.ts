/**
 * Test doubles: manual timers, a scriptable socket, and an in-memory server that answers
 * the REST calls the client makes for one user, so client behaviour (recovery, retries,
 * the send queue) is tested without a network.
 */

import type { SocketLike, Timers } from '../src/connection';
import type { ChannelStateResponse, ChatEvent, Message } from '../src/types';

export class ManualTimers implements Timers {
  private t = 1_000_000;
  private seq = 0;
  private readonly tasks = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.tasks.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }

  /** Delays of the pending tasks, from now. */
  pending(): number[] {
    return [...this.tasks.values()].map((t) => t.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward, running every task that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.tasks) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.tasks.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  closed = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  /** Server side: deliver a frame. */
  deliver(event: ChatEvent): void {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify(event) });
  }

  /** Server side: the connection breaks. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}

/** Flushes pending promise callbacks (the client's async steps). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

type Mode = 'up' | 'down' | 'lose-response';

/**
 * One channel `messaging:general` with members `me` and `other`, on a server whose
 * network can be `down` (requests fail) or `lose-response` (the request takes effect but
 * its answer is lost, as when a connection drops mid-request).
 */
export class FakeServer {
  messages: Message[] = [];
  sockets: FakeSocket[] = [];
  requests: { method: string; path: string; body: unknown }[] = [];
  mode: Mode = 'up';
  private clock = Date.parse('2025-01-01T00:00:00Z');
  private connections = 0;
  private nextId = 0;

  readonly socket = (url: string): SocketLike => {
    const s = new FakeSocket(url);
    this.sockets.push(s);
    return s;
  };

  get lastSocket(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error('no socket opened');
    return s;
  }

  /** Completes the handshake of the newest socket. */
  accept(): FakeSocket {
    const s = this.lastSocket;
    this.connections += 1;
    s.deliver({ type: 'health.check', connection_id: `conn-${this.connections}`, me: { id: 'me', total_unread_count: 0 } });
    return s;
  }

  /** Stores a message as if another user sent it; returns the stored copy. */
  addMessage(text: string, user = 'other', extra: Partial<Message> = {}): Message {
    this.clock += 1000;
    const m: Message = {
      id: `srv-${++this.nextId}`,
      cid: 'messaging:general',
      text,
      type: 'regular',
      user: { id: user },
      created_at: new Date(this.clock).toISOString(),
      ...extra,
    };
    this.messages.push(m);
    return m;
  }

  state(limit: number, idLt?: string): ChannelStateResponse {
    let list = this.messages.filter((m) => !m.parent_id || m.show_in_channel);
    if (idLt) {
      const i = list.findIndex((m) => m.id === idLt);
      list = list.slice(0, Math.max(i, 0));
    }
    return {
      channel: { id: 'general', type: 'messaging', cid: 'messaging:general', last_message_at: list.at(-1)?.created_at },
      messages: list.slice(Math.max(0, list.length - limit)),
      members: [{ user_id: 'me', user: { id: 'me' } }, { user_id: 'other', user: { id: 'other' } }],
      read: [{ user: { id: 'me' }, last_read: new Date(0).toISOString(), unread_messages: 0 }],
      watcher_count: 1,
    };
  }

  readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    this.requests.push({ method, path: url.pathname, body });
    if (this.mode === 'down') throw new TypeError('Failed to fetch');
    const answer = this.route(method, url.pathname, body);
    if (this.mode === 'lose-response') throw new TypeError('Failed to fetch');
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'Content-Type': 'application/json' } });
  };

  private route(method: string, path: string, body: any): { status: number; body: unknown } {
    if (method === 'POST' && path === '/channels/messaging/general/query') {
      return { status: 201, body: this.state(body?.messages?.limit ?? 30, body?.messages?.id_lt) };
    }
    if (method === 'POST' && path === '/channels') {
      return { status: 201, body: { channels: [this.state(body?.message_limit ?? 30)] } };
    }
    if (method === 'POST' && path === '/channels/messaging/general/message') {
      const id = body.message.id as string;
      if (body.message.text === 'forbidden') {
        return { status: 403, body: { code: 17, message: 'not allowed to send', StatusCode: 403 } };
      }
      if (this.messages.some((m) => m.id === id)) {
        return { status: 400, body: { code: 4, message: `message with id ${id} already exists`, StatusCode: 400 } };
      }
      const m = this.addMessage(body.message.text, 'me', { id, parent_id: body.message.parent_id });
      return { status: 201, body: { message: m } };
    }
    if (method === 'GET' && path.endsWith('/replies')) {
      const parent = decodeURIComponent(path.split('/')[2] ?? '');
      return { status: 200, body: { messages: this.messages.filter((m) => m.parent_id === parent) } };
    }
    if (method === 'GET' && path.startsWith('/messages/')) {
      const id = decodeURIComponent(path.slice('/messages/'.length));
      const m = this.messages.find((x) => x.id === id);
      return m ? { status: 200, body: { message: m } } : { status: 404, body: { code: 16, message: 'not found' } };
    }
    if (method === 'POST' && path.endsWith('/read')) return { status: 201, body: { event: { type: 'message.read' } } };
    if (method === 'POST' && path.endsWith('/event')) return { status: 201, body: { event: body.event } };
    return { status: 404, body: { code: 16, message: `no route ${method} ${path}` } };
  }
}

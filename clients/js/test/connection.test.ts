import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionState } from '../src/connection';
import type { ChatEvent } from '../src/types';
import { FakeServer, ManualTimers, settle } from './fakes';

function setup(tokens: string[] = ['t1', 't2', 't3']) {
  const server = new FakeServer();
  const timers = new ManualTimers();
  const states: ConnectionState[] = [];
  const events: ChatEvent[] = [];
  const connected: { connectionId: string; recovered: boolean }[] = [];
  const refreshes: boolean[] = [];
  let n = 0;
  const conn = new Connection({
    baseURL: 'http://chat.test',
    apiKey: 'key',
    user: { id: 'me', name: 'Me' },
    token: async (refresh) => {
      refreshes.push(refresh);
      return tokens[Math.min(n++, tokens.length - 1)] as string;
    },
    socket: server.socket,
    timers,
    random: () => 0.5,
    backoff: { initialMs: 1000, maxMs: 8000 },
    pingIntervalMs: 25_000,
    staleAfterMs: 60_000,
    onEvent: (e) => events.push(e),
    onStateChange: (s) => states.push(s),
    onConnected: (c) => connected.push(c),
  });
  return { server, timers, states, events, connected, refreshes, conn };
}

describe('Connection', () => {
  it('connects with the handshake parameters of api-spec/websocket.md and reports the connection id', async () => {
    const { server, conn, states } = setup();
    const done = conn.connect();
    await settle();
    const url = new URL(server.lastSocket.url);
    expect(url.protocol).toBe('ws:');
    expect(url.pathname).toBe('/connect');
    expect(url.searchParams.get('api_key')).toBe('key');
    expect(url.searchParams.get('authorization')).toBe('t1');
    expect(url.searchParams.get('stream-auth-type')).toBe('jwt');
    expect(JSON.parse(url.searchParams.get('json') ?? '{}')).toMatchObject({ user_id: 'me', user_details: { id: 'me', name: 'Me' } });
    server.accept();
    await expect(done).resolves.toBe('conn-1');
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('reconnects after a drop with growing, jittered delays and reports the recovery', async () => {
    const { server, conn, timers, connected, states } = setup();
    const done = conn.connect();
    await settle();
    server.accept();
    await done;
    server.lastSocket.drop();
    expect(states.at(-1)).toBe('reconnecting');
    // attempt 0: random 0.5 of a 1000 ms cap → 550 ms (100 ms floor + half the rest)
    expect(timers.pending()).toContain(550);
    timers.advance(550);
    await settle();
    expect(server.sockets).toHaveLength(2);
    server.lastSocket.drop(); // refused again: the next delay is larger
    expect(timers.pending()).toContain(1050);
    timers.advance(1050);
    await settle();
    server.accept();
    expect(connected).toEqual([
      { connectionId: 'conn-1', me: { id: 'me', total_unread_count: 0 }, recovered: false },
      { connectionId: 'conn-2', me: { id: 'me', total_unread_count: 0 }, recovered: true },
    ]);
    expect(conn.connectionId).toBe('conn-2');
  });

  it('sends health checks and treats a silent socket as dead', async () => {
    const { server, conn, timers } = setup();
    const done = conn.connect();
    await settle();
    const first = server.accept();
    await done;
    timers.advance(25_000);
    expect(first.sent.map((s) => JSON.parse(s).type)).toEqual(['health.check']);
    timers.advance(25_000);
    timers.advance(25_000); // 75 s without an inbound frame > staleAfter 60 s
    expect(first.closed).toBe(true);
    expect(conn.getState()).toBe('reconnecting');
  });

  it('keeps a socket that answers health checks', async () => {
    const { server, conn, timers } = setup();
    const done = conn.connect();
    await settle();
    const s = server.accept();
    await done;
    for (let i = 0; i < 5; i++) {
      timers.advance(25_000);
      s.deliver({ type: 'health.check', connection_id: 'conn-1' });
    }
    expect(s.closed).toBe(false);
    expect(conn.getState()).toBe('connected');
  });

  it('asks for a fresh token once when the server says the token expired', async () => {
    const { server, conn, timers, refreshes } = setup(['old', 'new']);
    const done = conn.connect();
    await settle();
    server.lastSocket.deliver({ type: 'connection.error', error: { code: 40, message: 'token expired', StatusCode: 401 } });
    timers.advance(1000);
    await settle();
    expect(new URL(server.lastSocket.url).searchParams.get('authorization')).toBe('new');
    expect(refreshes).toEqual([false, true]);
    server.accept();
    await expect(done).resolves.toBe('conn-1');
  });

  it('fails without retrying on other auth errors', async () => {
    const { server, conn, timers } = setup();
    const done = conn.connect();
    await settle();
    server.lastSocket.deliver({ type: 'connection.error', error: { code: 43, message: 'signature invalid', StatusCode: 401 } });
    await expect(done).rejects.toMatchObject({ code: 43 });
    timers.advance(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(conn.getState()).toBe('failed');
  });

  it('waits while offline and reconnects at once when back online', async () => {
    const { server, conn, timers } = setup();
    const done = conn.connect();
    await settle();
    const s = server.accept();
    await done;
    conn.goOffline();
    expect(s.closed).toBe(true);
    expect(conn.getState()).toBe('offline');
    timers.advance(120_000);
    expect(server.sockets).toHaveLength(1);
    conn.goOnline();
    await settle();
    expect(server.sockets).toHaveLength(2);
    server.accept();
    expect(conn.getState()).toBe('connected');
  });
});

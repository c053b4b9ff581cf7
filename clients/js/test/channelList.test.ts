import { describe, expect, it } from 'vitest';
import { ChatClient } from '../src/client';
import type { ChannelStateResponse } from '../src/types';
import { FakeServer, ManualTimers, settle } from './fakes';

/** A server with two channels, `messaging:a` (older activity) and `messaging:b`, plus `messaging:c` to be added later. */
class TwoChannelServer extends FakeServer {
  channel(id: string, at: string): ChannelStateResponse {
    return {
      channel: { id, type: 'messaging', cid: `messaging:${id}`, last_message_at: at },
      messages: [],
      members: [],
      read: [],
    };
  }

  override readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    this.requests.push({ method: init?.method ?? 'GET', path: url.pathname, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 201 });
    if (url.pathname === '/channels') {
      return json({ channels: [this.channel('b', '2025-01-02T00:00:00Z'), this.channel('a', '2025-01-01T00:00:00Z')] });
    }
    if (url.pathname === '/channels/messaging/c/query') return json(this.channel('c', '2025-01-03T00:00:00Z'));
    return new Response(JSON.stringify({ code: 16, message: 'no route' }), { status: 404 });
  };
}

async function setup() {
  const server = new TwoChannelServer();
  const client = new ChatClient('key', { baseURL: 'http://chat.test', fetch: server.fetch, socket: server.socket, timers: new ManualTimers(), watchNetwork: false });
  const done = client.connectUser({ id: 'me' }, 'token');
  await settle();
  server.accept();
  await done;
  const list = client.channelList({ members: { $in: ['me'] } });
  await list.load();
  return { server, client, list };
}

const cids = (list: { state: { get(): { channels: { cid: string }[] } } }) => list.state.get().channels.map((c) => c.cid);

describe('ChannelList', () => {
  it('loads in the server order and moves a channel to the top on a new message', async () => {
    const { server, list } = await setup();
    expect(cids(list)).toEqual(['messaging:b', 'messaging:a']);
    server.lastSocket.deliver({
      type: 'message.new',
      cid: 'messaging:a',
      message: { id: 'm1', text: 'hi', user: { id: 'other' }, created_at: '2025-01-05T00:00:00Z' },
    });
    expect(cids(list)).toEqual(['messaging:a', 'messaging:b']);
  });

  it('adds a channel the user is added to, and drops one they are removed from', async () => {
    const { server, list } = await setup();
    server.lastSocket.deliver({ type: 'notification.added_to_channel', cid: 'messaging:c', channel: { id: 'c', type: 'messaging', cid: 'messaging:c' } });
    await settle();
    expect(cids(list)).toEqual(['messaging:c', 'messaging:b', 'messaging:a']);
    server.lastSocket.deliver({ type: 'notification.removed_from_channel', cid: 'messaging:b' });
    expect(cids(list)).toEqual(['messaging:c', 'messaging:a']);
  });

  it('stops following events once closed', async () => {
    const { server, list } = await setup();
    list.close();
    server.lastSocket.deliver({ type: 'notification.removed_from_channel', cid: 'messaging:b' });
    expect(cids(list)).toEqual(['messaging:b', 'messaging:a']);
  });
});

import { describe, expect, it } from 'vitest';
import { ChatClient } from '../src/client';
import type { ChatEvent } from '../src/types';
import { FakeServer, ManualTimers, settle } from './fakes';

async function connected(opts: { pageSize?: number; recoveryMessageLimit?: number; queueLimit?: number } = {}) {
  const server = new FakeServer();
  const timers = new ManualTimers();
  const client = new ChatClient('key', {
    baseURL: 'http://chat.test',
    fetch: server.fetch,
    socket: server.socket,
    timers,
    random: () => 0,
    watchNetwork: false,
    ...opts,
  });
  const done = client.connectUser({ id: 'me' }, 'token');
  await settle();
  server.accept();
  await done;
  const channel = client.channel('messaging', 'general');
  return { server, timers, client, channel };
}

const texts = (list: { text?: string }[]) => list.map((m) => m.text);

describe('ChatClient', () => {
  it('watches a channel on the socket it connected', async () => {
    const { server, channel } = await connected();
    server.addMessage('hello');
    await channel.watch();
    const req = server.requests.find((r) => r.path === '/channels/messaging/general/query');
    expect(req?.body).toMatchObject({ watch: true, state: true });
    expect(texts(channel.state.get().messages)).toEqual(['hello']);
  });

  it('shows a send at once as sending, then sent with the server copy', async () => {
    const { server, channel } = await connected();
    await channel.watch();
    const local = channel.sendMessage('hi');
    expect(channel.state.get().messages.map((m) => [m.text, m.status])).toEqual([['hi', 'sending']]);
    await settle();
    const [m] = channel.state.get().messages;
    expect(m?.status).toBe('sent');
    expect(m?.id).toBe(local.id);
    expect(server.messages.map((x) => x.id)).toEqual([local.id]);
  });

  it('keeps one copy when the socket echo arrives before the send answer', async () => {
    const { server, channel } = await connected();
    await channel.watch();
    const local = channel.sendMessage('hi');
    server.lastSocket.deliver({ type: 'message.new', cid: 'messaging:general', message: { id: local.id, text: 'hi', user: { id: 'me' }, created_at: new Date().toISOString() } });
    await settle();
    expect(channel.state.get().messages).toHaveLength(1);
    expect(channel.state.get().messages[0]?.status).toBe('sent');
    expect(channel.state.get().unreadCount).toBe(0);
  });

  it('queues sends while offline and delivers them once, in order, when back online', async () => {
    const { server, client, channel } = await connected();
    await channel.watch();
    client.setOnline(false);
    channel.sendMessage('one');
    channel.sendMessage('two');
    await settle();
    expect(server.requests.filter((r) => r.path.endsWith('/message'))).toHaveLength(0);
    expect(client.state.get().pendingSends).toBe(2);
    expect(channel.state.get().messages.map((m) => m.status)).toEqual(['sending', 'sending']);
    client.setOnline(true);
    await settle(50);
    expect(texts(server.messages)).toEqual(['one', 'two']);
    expect(channel.state.get().messages.map((m) => m.status)).toEqual(['sent', 'sent']);
    expect(client.state.get().pendingSends).toBe(0);
  });

  it('retries with the same id after a lost answer, without duplicating the message', async () => {
    const { server, timers, client, channel } = await connected();
    await channel.watch();
    server.mode = 'lose-response'; // the server stores it, the answer never arrives
    const local = channel.sendMessage('exactly once');
    await settle();
    expect(server.messages).toHaveLength(1);
    expect(channel.state.get().messages[0]?.status).toBe('sending');
    server.mode = 'up';
    server.lastSocket.drop();
    timers.advance(100);
    await settle();
    server.accept(); // recovery re-queries, then flushes the queue with the same id
    await settle(100);
    const sends = server.requests.filter((r) => r.path.endsWith('/message'));
    expect(sends.map((r) => (r.body as { message: { id: string } }).message.id)).toEqual([local.id, local.id]);
    expect(server.messages).toHaveLength(1);
    expect(channel.state.get().messages.map((m) => [m.id, m.status])).toEqual([[local.id, 'sent']]);
    expect(client.state.get().pendingSends).toBe(0);
  });

  it('marks a refused send failed and sends it again with the same id on retry', async () => {
    const { server, channel } = await connected();
    await channel.watch();
    const local = channel.sendMessage('forbidden');
    await settle();
    expect(channel.findMessage(local.id)).toMatchObject({ status: 'failed', error: 'not allowed to send' });
    channel.retry(local.id);
    expect(channel.findMessage(local.id)?.status).toBe('sending');
    await settle();
    const ids = server.requests.filter((r) => r.path.endsWith('/message')).map((r) => (r.body as { message: { id: string } }).message.id);
    expect(ids).toEqual([local.id, local.id]);
    expect(channel.findMessage(local.id)?.status).toBe('failed');
    expect(channel.state.get().messages).toHaveLength(1);
  });

  it('recovers messages missed while disconnected, merging without duplicates', async () => {
    const { server, timers, channel } = await connected();
    server.addMessage('before 1');
    server.addMessage('before 2');
    await channel.watch();
    server.lastSocket.drop();
    server.addMessage('missed 1'); // sent while we were away: no event reaches us
    server.addMessage('missed 2');
    timers.advance(100);
    await settle();
    server.accept();
    await settle(50);
    expect(texts(channel.state.get().messages)).toEqual(['before 1', 'before 2', 'missed 1', 'missed 2']);
    const recovery = server.requests.filter((r) => r.path === '/channels').at(-1);
    expect(recovery?.body).toMatchObject({ filter_conditions: { cid: { $in: ['messaging:general'] } }, watch: true });
  });

  it('drops, on recovery, a message hard-deleted while disconnected', async () => {
    const { server, timers, channel } = await connected();
    server.addMessage('keep 1');
    server.addMessage('deleted meanwhile');
    server.addMessage('keep 2');
    await channel.watch();
    server.lastSocket.drop();
    server.messages = server.messages.filter((m) => m.text !== 'deleted meanwhile');
    server.addMessage('new');
    timers.advance(100);
    await settle();
    server.accept();
    await settle(50);
    expect(texts(channel.state.get().messages)).toEqual(['keep 1', 'keep 2', 'new']);
  });

  it('replaces the list when more was missed than one recovery page, so no gap remains', async () => {
    const { server, timers, channel } = await connected({ pageSize: 5, recoveryMessageLimit: 5 });
    for (let i = 1; i <= 3; i++) server.addMessage(`m${i}`);
    await channel.watch();
    server.lastSocket.drop();
    for (let i = 4; i <= 20; i++) server.addMessage(`m${i}`);
    timers.advance(100);
    await settle();
    server.accept();
    await settle(50);
    expect(texts(channel.state.get().messages)).toEqual(['m16', 'm17', 'm18', 'm19', 'm20']);
    expect(channel.state.get().hasMoreOlder).toBe(true);
    // Scroll-back fills in everything before, once.
    while (channel.state.get().hasMoreOlder) await channel.loadOlder(5);
    expect(texts(channel.state.get().messages)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 1}`));
  });

  it('pages back through history without gaps or duplicates', async () => {
    const { server, channel } = await connected({ pageSize: 7 });
    for (let i = 1; i <= 30; i++) server.addMessage(`m${i}`);
    await channel.watch();
    expect(channel.state.get().messages).toHaveLength(7);
    let pages = 0;
    while (channel.state.get().hasMoreOlder) {
      await channel.loadOlder(7);
      pages += 1;
    }
    expect(pages).toBe(4); // 7 + 7*3 = 28 < 30, the 4th page brings the last 2
    expect(texts(channel.state.get().messages)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 1}`));
  });

  it('counts unread messages from others and clears them on mark read', async () => {
    const { server, channel } = await connected();
    await channel.watch();
    const e = (id: string, user: string): ChatEvent => ({
      type: 'message.new',
      cid: 'messaging:general',
      message: { id, text: id, user: { id: user }, created_at: new Date().toISOString() },
    });
    server.lastSocket.deliver(e('a', 'other'));
    server.lastSocket.deliver(e('a', 'other')); // the same event twice counts once
    server.lastSocket.deliver(e('b', 'me'));
    expect(channel.state.get().unreadCount).toBe(1);
    await channel.markRead();
    expect(channel.state.get().unreadCount).toBe(0);
    expect(server.requests.some((r) => r.path === '/channels/messaging/general/read')).toBe(true);
  });

  it('shows typing from others until stop or expiry, and throttles its own typing events', async () => {
    const { server, timers, channel } = await connected();
    await channel.watch();
    server.lastSocket.deliver({ type: 'typing.start', cid: 'messaging:general', user: { id: 'other' } });
    server.lastSocket.deliver({ type: 'typing.start', cid: 'messaging:general', user: { id: 'me' } });
    expect(channel.typingUsers().map((u) => u.id)).toEqual(['other']);
    timers.advance(7_001);
    expect(channel.typingUsers()).toEqual([]);
    for (let i = 0; i < 10; i++) {
      channel.keystroke();
      timers.advance(100);
    }
    timers.advance(3_000);
    await settle();
    const typing = server.requests.filter((r) => r.path.endsWith('/event')).map((r) => (r.body as { event: { type: string } }).event.type);
    expect(typing).toEqual(['typing.start', 'typing.stop']);
  });

  it('refuses new sends when the offline queue is full', async () => {
    const { client, channel } = await connected({ queueLimit: 2 });
    await channel.watch();
    client.setOnline(false);
    channel.sendMessage('1');
    channel.sendMessage('2');
    const third = channel.sendMessage('3');
    expect(third.status).toBe('failed');
    expect(channel.findMessage(third.id)?.error).toMatch(/queue full/);
    expect(client.state.get().pendingSends).toBe(2);
  });

  it('threads: replies go to the thread and bump the parent reply count once', async () => {
    const { server, channel } = await connected();
    const parent = server.addMessage('parent');
    await channel.watch();
    await channel.loadReplies(parent.id);
    channel.sendMessage('reply', { parent_id: parent.id });
    await settle();
    server.lastSocket.deliver({ type: 'message.new', cid: 'messaging:general', message: server.messages.at(-1) });
    const s = channel.state.get();
    expect(texts(s.threads[parent.id] ?? [])).toEqual(['reply']);
    expect(texts(s.messages)).toEqual(['parent']);
    expect(s.messages[0]?.reply_count).toBe(1);
  });
});

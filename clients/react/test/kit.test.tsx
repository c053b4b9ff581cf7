import { ChatClient, type Channel as ChannelModel } from '@chat-engine/client';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeServer, ManualTimers, settle } from '../../js/test/fakes';
import { Channel, ChannelList, Chat, MessageInput, TypingIndicator, mentionQuery } from '../src';

afterEach(cleanup);

async function connected() {
  const server = new FakeServer();
  const timers = new ManualTimers();
  const client = new ChatClient('key', { baseURL: 'http://chat.test', fetch: server.fetch, socket: server.socket, timers, watchNetwork: false });
  const done = client.connectUser({ id: 'me' }, 'token');
  await settle();
  server.accept();
  await done;
  const channel = client.channel('messaging', 'general');
  await channel.watch();
  return { server, client, channel, timers };
}

function inChannel(client: ChatClient, channel: ChannelModel, children: React.ReactNode) {
  return render(
    <Chat client={client}>
      <Channel channel={channel}>{children}</Channel>
    </Chat>,
  );
}

describe('mentionQuery', () => {
  it('finds the @word before the caret, only at a word start', () => {
    expect(mentionQuery('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail a@b', 8)).toBeUndefined();
    expect(mentionQuery('hi @bob there', 13)).toBeUndefined();
  });
});

describe('MessageInput', () => {
  it('suggests members after @, inserts the pick, and sends it as a mention on Enter', async () => {
    const { server, client, channel } = await connected();
    inChannel(client, channel, <MessageInput />);
    const input = screen.getByTestId('message-input') as HTMLTextAreaElement;
    fireEvent.change(input, { target: { value: '@ot', selectionStart: 3 } });
    const options = screen.getAllByTestId('mention-suggestion');
    expect(options.map((o) => o.textContent)).toEqual(['other @other']);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(input.value).toBe('@other ');
    fireEvent.change(input, { target: { value: '@other hello', selectionStart: 12 } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await act(() => settle());
    const sent = server.requests.filter((r) => r.path.endsWith('/message')).map((r) => r.body);
    expect(sent).toMatchObject([{ message: { text: '@other hello', mentioned_users: ['other'] } }]);
    expect(input.value).toBe('');
    const typing = server.requests.filter((r) => r.path.endsWith('/event')).map((r) => (r.body as { event: { type: string } }).event.type);
    expect(typing).toEqual(['typing.start', 'typing.stop']);
  });

  it('keeps Shift+Enter for a new line', async () => {
    const { server, client, channel } = await connected();
    inChannel(client, channel, <MessageInput />);
    const input = screen.getByTestId('message-input');
    fireEvent.change(input, { target: { value: 'line', selectionStart: 4 } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    await act(() => settle());
    expect(server.requests.filter((r) => r.path.endsWith('/message'))).toHaveLength(0);
  });
});

describe('TypingIndicator', () => {
  it('names who is typing, from events', async () => {
    const { server, client, channel } = await connected();
    inChannel(client, channel, <TypingIndicator />);
    expect(screen.queryByTestId('typing-indicator')).toBeNull();
    act(() => server.lastSocket.deliver({ type: 'typing.start', cid: channel.cid, user: { id: 'other', name: 'Other' } }));
    expect(screen.getByTestId('typing-indicator').textContent).toBe('Other is typing…');
    act(() => server.lastSocket.deliver({ type: 'typing.stop', cid: channel.cid, user: { id: 'other' } }));
    expect(screen.queryByTestId('typing-indicator')).toBeNull();
  });
});

describe('ChannelList', () => {
  it('shows the last message and an unread badge for channels not open', async () => {
    const { server, client } = await connected();
    render(
      <Chat client={client}>
        <ChannelList filters={{ members: { $in: ['me'] } }} onSelect={() => undefined} />
      </Chat>,
    );
    await act(() => settle());
    expect(screen.getByTestId('channel-preview-last').textContent).toBe('no messages yet');
    const m = server.addMessage('news');
    act(() => server.lastSocket.deliver({ type: 'message.new', cid: 'messaging:general', message: m }));
    expect(screen.getByTestId('unread-badge').textContent).toBe('1');
    expect(screen.getByTestId('channel-preview-last').textContent).toBe('other: news');
  });
});

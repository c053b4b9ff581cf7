/**
 * `?perf=10000`: the message list with that many local messages and no server, to see
 * (and let the e2e harness measure) that scrolling stays smooth: virtualisation keeps the
 * DOM to the rows on screen.
 */

import { ChatClient, type LocalMessage } from '@chat-engine/client';
import { Channel, Chat, MessageList } from '@chat-engine/react';
import { useState } from 'react';

function makeClient(count: number): ChatClient {
  const client = new ChatClient('perf', { watchNetwork: false });
  client.user = { id: 'me', name: 'me' };
  const channel = client.channel('messaging', 'perf');
  const start = Date.UTC(2025, 0, 1);
  const users = ['alice', 'bob', 'carol', 'me'];
  const messages: LocalMessage[] = Array.from({ length: count }, (_, i) => {
    const user = users[i % users.length] ?? 'me';
    return {
      id: `perf-${String(i + 1).padStart(6, '0')}`,
      text: `message ${i + 1}${i % 7 === 0 ? ' — a longer one that wraps onto a second line to vary row heights, as real chats do' : ''}`,
      user: { id: user, name: user },
      created_at: new Date(start + i * 1000).toISOString(),
      status: 'received',
      reaction_groups: i % 5 === 0 ? { like: { count: 2, sum_scores: 2 } } : undefined,
    };
  });
  channel.watching = true; // nothing to watch: the state below is all there is
  channel.state.set((s) => ({ ...s, messages, initialized: true, hasMoreOlder: false }));
  (window as unknown as { __perfChannel?: unknown }).__perfChannel = channel;
  return client;
}

export function PerfPage({ count }: { count: number }) {
  const [client] = useState(() => makeClient(count));
  const channel = client.channel('messaging', 'perf');
  return (
    <Chat client={client}>
      <div className="perf" data-testid="perf">
        <Channel channel={channel} markReadOnView={false}>
          <MessageList />
        </Channel>
      </div>
    </Chat>
  );
}

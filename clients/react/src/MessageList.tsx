/**
 * `MessageList`: the channel's messages, virtualised with react-virtuoso so that only the
 * rows on screen (plus a margin) exist in the DOM, whether the channel has fifty messages
 * or ten thousand. Scrolling to the top loads the previous page; prepended rows keep the
 * reading position (virtuoso's `firstItemIndex`). New messages follow the bottom when the
 * reader is there, and always after our own send.
 */

import type { LocalMessage } from '@chat-engine/client';
import { useMemo, useRef } from 'react';
import { Virtuoso } from 'react-virtuoso';
import { useChannelContext, useChatClient } from './context';
import { useChannelState } from './hooks';
import { DefaultMessage, readReceipts, type MessageComponent } from './Message';

/** Virtuoso needs a first index that stays positive however many pages are prepended. */
const START_INDEX = 1_000_000_000;

export interface MessageListProps {
  /** Custom message renderer (see `MessageProps`). */
  Message?: MessageComponent;
  /** Shown above the first message once the whole history is loaded. */
  renderStart?: () => React.ReactNode;
}

interface ListContext {
  hasMoreOlder: boolean;
  loadingOlder: boolean;
  renderStart: (() => React.ReactNode) | undefined;
}

function Header({ context }: { context?: ListContext }) {
  if (!context) return null;
  if (context.loadingOlder) return <div className="ce-list-loading" data-testid="list-loading">loading older messages…</div>;
  if (!context.hasMoreOlder) {
    return (
      <div className="ce-list-start" data-testid="list-start">
        {context.renderStart ? context.renderStart() : 'This is the beginning of the conversation.'}
      </div>
    );
  }
  return <div className="ce-list-more" style={{ height: 24 }} />;
}

export function MessageList({ Message = DefaultMessage, renderStart }: MessageListProps) {
  const { channel, openThread } = useChannelContext();
  const client = useChatClient();
  const state = useChannelState(channel);
  const me = client.userId;
  const messages = state.messages;

  // Keep virtuoso's index of the first row in step with pages prepended above it. This is
  // derived during render from the previous first message, so it is idempotent.
  const firstIndex = useRef(START_INDEX);
  const generation = useRef(0);
  const prevFirst = useRef<string | undefined>(undefined);
  const first = messages[0]?.id;
  if (prevFirst.current && first && first !== prevFirst.current) {
    const at = messages.findIndex((m) => m.id === prevFirst.current);
    if (at > 0) firstIndex.current -= at;
    else if (at < 0) {
      // The list was replaced (recovery after a long gap): start a fresh virtual list.
      generation.current += 1;
      firstIndex.current = START_INDEX;
    }
  }
  prevFirst.current = first;

  const receipts = useMemo(() => readReceipts(messages, state.read, me), [messages, state.read, me]);
  const context: ListContext = { hasMoreOlder: state.hasMoreOlder, loadingOlder: state.loadingOlder, renderStart };
  const last = messages[messages.length - 1];
  const lastIsOwn = last?.user?.id === me;

  if (!state.initialized) return <div className="ce-message-list ce-list-loading">loading…</div>;
  if (messages.length === 0) {
    return (
      <div className="ce-message-list ce-list-empty" data-testid="message-list">
        <Header context={{ ...context, hasMoreOlder: false }} />
      </div>
    );
  }
  return (
    <div className="ce-message-list" data-testid="message-list">
      <Virtuoso<LocalMessage, ListContext>
        key={`${channel.cid}/${generation.current}`}
        style={{ height: '100%' }}
        data={messages}
        context={context}
        firstItemIndex={firstIndex.current}
        initialTopMostItemIndex={messages.length - 1}
        computeItemKey={(_, m) => m.id}
        increaseViewportBy={{ top: 600, bottom: 300 }}
        alignToBottom
        followOutput={(atBottom) => (atBottom || lastIsOwn ? 'auto' : false)}
        startReached={() => {
          const s = channel.state.get();
          if (s.hasMoreOlder && !s.loadingOlder) channel.loadOlder().catch(() => undefined);
        }}
        components={{ Header }}
        itemContent={(_, m) => (
          <Message message={m} channel={channel} isOwn={m.user?.id === me} readBy={receipts.get(m.id) ?? []} openThread={openThread} />
        )}
      />
    </div>
  );
}

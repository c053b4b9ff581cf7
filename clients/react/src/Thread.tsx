/**
 * `Thread`: the open thread of the enclosing `Channel`: its parent message, the replies
 * (loaded when opened, then kept current from events), typing in the thread, and an input
 * that sends replies.
 */

import { useEffect, useMemo } from 'react';
import { useChannelContext, useChatClient } from './context';
import { useChannelState } from './hooks';
import { DefaultMessage, readReceipts, type MessageComponent } from './Message';
import { MessageInput } from './MessageInput';
import { TypingIndicator } from './TypingIndicator';

export interface ThreadProps {
  Message?: MessageComponent;
}

export function Thread({ Message = DefaultMessage }: ThreadProps) {
  const { channel, thread, closeThread } = useChannelContext();
  const client = useChatClient();
  const state = useChannelState(channel);
  const me = client.userId;

  useEffect(() => {
    if (thread) channel.loadReplies(thread).catch(() => undefined);
  }, [channel, thread]);

  const replies = thread ? state.threads[thread] : undefined;
  const receipts = useMemo(() => readReceipts(replies ?? [], state.read, me), [replies, state.read, me]);
  if (!thread) return null;
  const parent = channel.findMessage(thread);
  return (
    <aside className="ce-thread" data-testid="thread">
      <header className="ce-thread-head">
        <span>Thread</span>
        <button type="button" data-testid="close-thread" onClick={closeThread}>
          close
        </button>
      </header>
      {parent ? (
        <div className="ce-thread-parent">
          <Message message={parent} channel={channel} isOwn={parent.user?.id === me} readBy={[]} />
        </div>
      ) : null}
      <div className="ce-thread-replies" data-testid="thread-replies">
        {replies === undefined ? <div className="ce-list-loading">loading…</div> : null}
        {(replies ?? []).map((m) => (
          <Message key={m.id} message={m} channel={channel} isOwn={m.user?.id === me} readBy={receipts.get(m.id) ?? []} />
        ))}
      </div>
      <TypingIndicator parentId={thread} />
      <MessageInput parentId={thread} placeholder="Reply in thread" />
    </aside>
  );
}

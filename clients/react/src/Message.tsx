/**
 * The default message renderer and the props every renderer receives. Pass your own
 * component as `Message` to `MessageList` or `Thread` to render messages differently;
 * it can wrap `DefaultMessage` to keep the parts it does not change.
 */

import type { Channel, LocalMessage, ReadEntry, User } from '@chat-engine/client';
import type { ComponentType } from 'react';
import { displayName, formatTime } from './names';
import { ReactionPicker, Reactions } from './Reactions';

export interface MessageProps {
  message: LocalMessage;
  channel: Channel;
  /** The message was written by the connected user. */
  isOwn: boolean;
  /** Other users whose read cursor is at or past this message, when it is our last one. */
  readBy: User[];
  /** Opens the message's thread; absent inside a thread. */
  openThread?: (parentId: string) => void;
}

export type MessageComponent = ComponentType<MessageProps>;

function StatusLine({ message, channel }: { message: LocalMessage; channel: Channel }) {
  if (message.status === 'sending') return <span className="ce-status" data-testid="message-status">sending…</span>;
  if (message.status === 'failed') {
    return (
      <span className="ce-status ce-status-failed" data-testid="message-status">
        failed{message.error ? `: ${message.error}` : ''}{' '}
        <button type="button" onClick={() => channel.retry(message.id)}>
          retry
        </button>
      </span>
    );
  }
  return null;
}

export function DefaultMessage({ message, channel, isOwn, readBy, openThread }: MessageProps) {
  const deleted = message.type === 'deleted' || !!message.deleted_at;
  const replies = message.reply_count ?? 0;
  return (
    <div
      className={isOwn ? 'ce-message ce-message-own' : 'ce-message'}
      data-testid="message"
      data-message-id={message.id}
      data-status={message.status}
    >
      <div className="ce-message-head">
        <span className="ce-author">{displayName(message.user)}</span>
        <span className="ce-time">{formatTime(message.created_at)}</span>
      </div>
      <div className="ce-text" data-testid="message-text">
        {deleted ? <em>message deleted</em> : message.text}
      </div>
      <StatusLine message={message} channel={channel} />
      <Reactions channel={channel} message={message} />
      <div className="ce-message-actions">
        <ReactionPicker channel={channel} message={message} />
        {openThread && message.status !== 'sending' && message.status !== 'failed' ? (
          <button type="button" data-testid="reply-button" onClick={() => openThread(message.id)}>
            reply
          </button>
        ) : null}
        {openThread && replies > 0 ? (
          <button type="button" className="ce-reply-count" data-testid="reply-count" onClick={() => openThread(message.id)}>
            {replies} {replies === 1 ? 'reply' : 'replies'}
          </button>
        ) : null}
      </div>
      {readBy.length > 0 ? (
        <div className="ce-read-receipt" data-testid="read-receipt">
          seen by {readBy.map(displayName).join(', ')}
        </div>
      ) : null}
    </div>
  );
}

/** Who has read our last (stored) message: shown under that message only. */
export function readReceipts(messages: LocalMessage[], read: Record<string, ReadEntry>, me: string | undefined): Map<string, User[]> {
  const out = new Map<string, User[]>();
  if (!me) return out;
  let lastOwn: LocalMessage | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.user?.id === me && m.status !== 'sending' && m.status !== 'failed') {
      lastOwn = m;
      break;
    }
  }
  if (!lastOwn?.created_at) return out;
  const at = Date.parse(lastOwn.created_at);
  const readers = Object.values(read)
    .filter((r) => r.user.id !== me && Date.parse(r.last_read) >= at)
    .map((r) => r.user);
  if (readers.length) out.set(lastOwn.id, readers);
  return out;
}

/**
 * `MessageInput`: a text box that sends on Enter (Shift+Enter for a new line), announces
 * typing, and suggests channel members after `@`; picked mentions are sent as
 * `mentioned_users`. Inside a thread it sends replies (`parentId`).
 */

import type { User } from '@chat-engine/client';
import { useMemo, useState, type KeyboardEvent } from 'react';
import { useChannelContext } from './context';
import { useStoreSelector } from './hooks';
import { displayName } from './names';

export interface MessageInputProps {
  /** Send as replies to this thread. */
  parentId?: string;
  placeholder?: string;
  /** Most suggestions shown. */
  maxSuggestions?: number;
}

/** The `@word` being typed right before the caret, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|\s)@([\w.@-]*)$/.exec(text.slice(0, caret));
  if (!m) return undefined;
  return { start: caret - (m[2]?.length ?? 0) - 1, query: (m[2] ?? '').toLowerCase() };
}

export function MessageInput({ parentId, placeholder = 'Write a message', maxSuggestions = 6 }: MessageInputProps) {
  const { channel } = useChannelContext();
  const members = useStoreSelector(channel.state, (s) => s.members);
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [picked, setPicked] = useState<User[]>([]);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);

  const query = mentionQuery(text, caret);
  const suggestions = useMemo(() => {
    if (!query || dismissed) return [];
    return channel
      .otherMembers()
      .filter((u) => u.id.toLowerCase().startsWith(query.query) || displayName(u).toLowerCase().startsWith(query.query))
      .slice(0, maxSuggestions);
    // members is what otherMembers reads
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query?.query, query?.start, dismissed, members, channel, maxSuggestions]);

  const pick = (u: User) => {
    if (!query) return;
    const before = text.slice(0, query.start);
    const after = text.slice(caret);
    const next = `${before}@${u.id} ${after}`;
    setText(next);
    setCaret(before.length + u.id.length + 2);
    setPicked((p) => (p.some((x) => x.id === u.id) ? p : [...p, u]));
    setActive(0);
  };

  const send = () => {
    const body = text.trim();
    if (!body) return;
    const mentioned = picked.filter((u) => body.includes(`@${u.id}`)).map((u) => u.id);
    channel.sendMessage(body, { parent_id: parentId, mentioned_users: mentioned });
    setText('');
    setCaret(0);
    setPicked([]);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((a) => (a + 1) % suggestions.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((a) => (a - 1 + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        const u = suggestions[Math.min(active, suggestions.length - 1)];
        if (u) pick(u);
        return;
      }
      if (e.key === 'Escape') {
        setDismissed(true);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  return (
    <div className="ce-input">
      {suggestions.length > 0 ? (
        <ul className="ce-mentions" data-testid="mention-suggestions" role="listbox">
          {suggestions.map((u, i) => (
            <li
              key={u.id}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'ce-mention ce-mention-active' : 'ce-mention'}
              data-testid="mention-suggestion"
              onMouseDown={(e) => {
                e.preventDefault();
                pick(u);
              }}
            >
              {displayName(u)} <span className="ce-mention-id">@{u.id}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <textarea
        data-testid={parentId ? 'thread-input' : 'message-input'}
        value={text}
        rows={2}
        placeholder={placeholder}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setDismissed(false);
          if (e.target.value) channel.keystroke(parentId);
          else channel.stopTyping(parentId);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onKeyDown={onKeyDown}
        onBlur={() => channel.stopTyping(parentId)}
      />
      <button type="button" className="ce-send" data-testid={parentId ? 'thread-send' : 'send-button'} onClick={send} disabled={!text.trim()}>
        send
      </button>
    </div>
  );
}

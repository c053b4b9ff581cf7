/** "alice is typing…" for the channel, or for one thread with `parentId`. */

import { useChannelContext } from './context';
import { useTyping } from './hooks';
import { displayName } from './names';

export function TypingIndicator({ parentId }: { parentId?: string }) {
  const { channel } = useChannelContext();
  const users = useTyping(channel, parentId);
  if (users.length === 0) return <div className="ce-typing ce-typing-empty" />;
  const names = users.map(displayName);
  const text =
    names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : `${names.length} people are typing…`;
  return (
    <div className="ce-typing" data-testid={parentId ? 'thread-typing-indicator' : 'typing-indicator'}>
      {text}
    </div>
  );
}

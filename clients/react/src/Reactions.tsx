/** Reaction counts under a message, and the buttons that toggle the user's own reactions. */

import type { Channel, LocalMessage } from '@chat-engine/client';

export const DEFAULT_REACTIONS: { type: string; emoji: string }[] = [
  { type: 'like', emoji: '👍' },
  { type: 'love', emoji: '❤️' },
  { type: 'haha', emoji: '😂' },
  { type: 'wow', emoji: '😮' },
];

export function emojiFor(type: string): string {
  return DEFAULT_REACTIONS.find((r) => r.type === type)?.emoji ?? type;
}

function counts(m: LocalMessage): [string, number][] {
  const groups = m.reaction_groups;
  if (groups) return Object.entries(groups).map(([t, g]) => [t, g.count] as [string, number]).filter(([, n]) => n > 0);
  return Object.entries(m.reaction_counts ?? {}).filter(([, n]) => n > 0);
}

export interface ReactionsProps {
  channel: Channel;
  message: LocalMessage;
}

function toggle(channel: Channel, message: LocalMessage, type: string, own: boolean): void {
  // Failures show nowhere better than the unchanged count; the user can click again.
  (own ? channel.deleteReaction(message.id, type) : channel.sendReaction(message.id, type)).catch(() => undefined);
}

/** The reaction chips of a message; clicking one toggles the user's reaction of that type. */
export function Reactions({ channel, message }: ReactionsProps) {
  const own = new Set((message.own_reactions ?? []).map((r) => r.type));
  const list = counts(message);
  if (list.length === 0) return null;
  return (
    <div className="ce-reactions" data-testid="reactions">
      {list.map(([type, n]) => (
        <button
          key={type}
          type="button"
          className={own.has(type) ? 'ce-reaction ce-reaction-own' : 'ce-reaction'}
          data-testid={`reaction-${type}`}
          data-count={n}
          onClick={() => toggle(channel, message, type, own.has(type))}
        >
          {emojiFor(type)} {n}
        </button>
      ))}
    </div>
  );
}

/** A row of buttons to add (or take back) a reaction. */
export function ReactionPicker({ channel, message }: ReactionsProps) {
  const own = new Set((message.own_reactions ?? []).map((r) => r.type));
  return (
    <span className="ce-reaction-picker">
      {DEFAULT_REACTIONS.map((r) => (
        <button
          key={r.type}
          type="button"
          title={r.type}
          data-testid={`add-reaction-${r.type}`}
          disabled={message.status === 'sending' || message.status === 'failed'}
          onClick={() => toggle(channel, message, r.type, own.has(r.type))}
        >
          {r.emoji}
        </button>
      ))}
    </span>
  );
}

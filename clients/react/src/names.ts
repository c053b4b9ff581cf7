/** Display helpers shared by the components. */

import type { Channel, User } from '@chat-engine/client';

export function displayName(user: User | undefined): string {
  if (!user) return 'unknown';
  return typeof user.name === 'string' && user.name ? user.name : user.id;
}

/** A channel's name, or its other members' names for an unnamed conversation. */
export function channelName(channel: Channel, me: string | undefined): string {
  const data = channel.state.get().data;
  if (data?.name) return data.name;
  const others = Object.values(channel.state.get().members)
    .map((m) => m.user)
    .filter((u): u is User => !!u && u.id !== me)
    .map(displayName);
  return others.length ? others.join(', ') : channel.id;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * `ChannelList`: the user's channels with the last message as a preview and an unread
 * badge, re-sorted live as messages arrive (see the client's `ChannelList`).
 */

import type { Channel as ChannelModel, ChannelList as ChannelListModel, SortOption } from '@chat-engine/client';
import { useEffect, useState, type ComponentType } from 'react';
import { useChatClient } from './context';
import { useChannelState, useStore } from './hooks';
import { channelName, displayName } from './names';

export interface ChannelPreviewProps {
  channel: ChannelModel;
  active: boolean;
  onSelect: (channel: ChannelModel) => void;
}

export function DefaultChannelPreview({ channel, active, onSelect }: ChannelPreviewProps) {
  const client = useChatClient();
  const state = useChannelState(channel);
  const last = [...state.messages].reverse().find((m) => m.type !== 'deleted');
  const unread = active ? 0 : state.unreadCount;
  return (
    <button
      type="button"
      className={active ? 'ce-preview ce-preview-active' : 'ce-preview'}
      data-testid="channel-preview"
      data-cid={channel.cid}
      aria-current={active}
      onClick={() => onSelect(channel)}
    >
      <span className="ce-preview-name">{channelName(channel, client.userId)}</span>
      {unread > 0 ? (
        <span className="ce-badge" data-testid="unread-badge">
          {unread}
        </span>
      ) : null}
      <span className="ce-preview-last" data-testid="channel-preview-last">
        {last ? `${displayName(last.user)}: ${last.text ?? ''}` : 'no messages yet'}
      </span>
    </button>
  );
}

export interface ChannelListProps {
  /** Query-channels filter, e.g. `{ members: { $in: [userId] } }` (ignored when `list` is given). */
  filters?: Record<string, unknown>;
  /** A list the app made with `client.channelList(…)` and loads itself (to `add` channels to it). */
  list?: ChannelListModel;
  sort?: SortOption[];
  activeCid?: string;
  onSelect: (channel: ChannelModel) => void;
  /** Custom preview renderer. */
  Preview?: ComponentType<ChannelPreviewProps>;
}

export function ChannelList({ filters, list: given, sort, activeCid, onSelect, Preview = DefaultChannelPreview }: ChannelListProps) {
  const client = useChatClient();
  const key = JSON.stringify([filters, sort]);
  const [own, setList] = useState<ChannelListModel | undefined>(undefined);
  useEffect(() => {
    if (given) return undefined;
    const l = client.channelList(filters ?? {}, sort);
    setList(l);
    void l.load();
    return () => l.close();
    // The filter is compared by value: a new object with the same content is the same list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key, given]);
  const list = given ?? own;
  if (!list) return <nav className="ce-channel-list" />;
  return <ChannelListBody list={list} activeCid={activeCid} onSelect={onSelect} Preview={Preview} />;
}

function ChannelListBody({
  list,
  activeCid,
  onSelect,
  Preview,
}: {
  list: ChannelListModel;
  activeCid: string | undefined;
  onSelect: (c: ChannelModel) => void;
  Preview: ComponentType<ChannelPreviewProps>;
}) {
  const { channels, loading, error } = useStore(list.state);
  return (
    <nav className="ce-channel-list" data-testid="channel-list">
      {error ? <div className="ce-error" role="alert">{error}</div> : null}
      {loading && channels.length === 0 ? <div className="ce-list-loading">loading channels…</div> : null}
      {!loading && channels.length === 0 && !error ? <div className="ce-list-empty">no channels yet</div> : null}
      {channels.map((c) => (
        <Preview key={c.cid} channel={c} active={c.cid === activeCid} onSelect={onSelect} />
      ))}
    </nav>
  );
}

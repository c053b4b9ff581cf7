/**
 * A live list of the user's channels: loaded by one query (which also watches them), then
 * kept current from events: new messages move their channel to the top (when sorted by
 * activity), channels the user is added to or messaged in appear, removed ones go, and a
 * reconnect reloads the list.
 */

import type { Channel } from './channel';
import type { ChatClient } from './client';
import { Store } from './store';
import type { ChatEvent, SortOption } from './types';

export interface ChannelListOptions {
  limit?: number;
}

export interface ChannelListState {
  channels: Channel[];
  loading: boolean;
  error: string | undefined;
}

const DEFAULT_SORT: SortOption[] = [{ field: 'last_message_at', direction: -1 }];

function activity(c: Channel): number {
  const d = c.state.get().data;
  const t = Date.parse(String(d?.last_message_at ?? d?.created_at ?? ''));
  return Number.isNaN(t) ? 0 : t;
}

export class ChannelList {
  readonly state = new Store<ChannelListState>({ channels: [], loading: false, error: undefined });
  private readonly unsubscribe: (() => void)[] = [];
  private readonly byActivity: boolean;

  constructor(
    private readonly client: ChatClient,
    private readonly filter: Record<string, unknown>,
    private readonly sort: SortOption[] = DEFAULT_SORT,
    private readonly options: ChannelListOptions = {},
  ) {
    const first = sort[0]?.field;
    this.byActivity = first === undefined || first === 'last_message_at' || first === 'last_updated';
    this.unsubscribe.push(client.on('all', (e) => this.onEvent(e)));
  }

  async load(): Promise<void> {
    this.state.patch({ loading: true, error: undefined });
    try {
      const channels = await this.client.queryChannels(this.filter, this.sort, { limit: this.options.limit ?? 30 });
      this.state.patch({ channels, loading: false });
    } catch (e) {
      this.state.patch({ loading: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Puts a channel in the list (e.g. one this user just created), at its place by activity. */
  add(channel: Channel): void {
    this.state.set((s) => (s.channels.includes(channel) ? s : { ...s, channels: [channel, ...s.channels] }));
    this.resort();
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private onEvent(e: ChatEvent): void {
    switch (e.type) {
      case 'message.new':
      case 'notification.message_new':
      case 'notification.added_to_channel':
      case 'channel.visible': {
        const cid = e.cid ?? e.channel?.cid;
        if (!cid) return;
        const have = this.state.get().channels.some((c) => c.cid === cid);
        if (have) {
          if (e.message && !e.message.parent_id) this.resort();
          return;
        }
        void this.addChannel(cid);
        return;
      }
      case 'channel.deleted':
      case 'notification.channel_deleted':
      case 'notification.removed_from_channel':
      case 'channel.hidden': {
        const cid = e.cid ?? e.channel?.cid;
        if (cid) this.state.set((s) => ({ ...s, channels: s.channels.filter((c) => c.cid !== cid) }));
        return;
      }
      case 'connection.recovered':
        void this.load();
        return;
      default:
        return;
    }
  }

  private async addChannel(cid: string): Promise<void> {
    const [type, ...rest] = cid.split(':');
    if (!type || rest.length === 0) return;
    const channel = this.client.channel(type, rest.join(':'));
    try {
      await channel.watch();
    } catch {
      return; // not readable by us after all
    }
    this.add(channel);
  }

  private resort(): void {
    if (!this.byActivity) return;
    this.state.set((s) => {
      const sorted = [...s.channels].sort((a, b) => activity(b) - activity(a));
      return sorted.every((c, i) => c === s.channels[i]) ? s : { ...s, channels: sorted };
    });
  }
}

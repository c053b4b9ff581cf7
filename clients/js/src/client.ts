/**
 * `ChatClient`: one user's session. It owns the socket (`Connection`), the REST calls
 * (`api`), the channels this session has loaded, and the queue of pending sends; it routes
 * socket events to channels and, after every reconnect, recovers: it re-queries the
 * watched channels (re-watching them on the new socket) and merges what they return, then
 * sends what was queued meanwhile.
 */

import type { BackoffOptions } from './backoff';
import { Channel } from './channel';
import { ChannelList, type ChannelListOptions } from './channelList';
import { Connection, realTimers, type ConnectionState, type SocketFactory, type Timers } from './connection';
import { Emitter, type EventHandler } from './events';
import { RestClient, type FetchLike } from './http';
import { newMessageId } from './messages';
import { DEFAULT_QUEUE_LIMIT, SendQueue, type PendingSend } from './queue';
import { Store } from './store';
import type { ChatEvent, LocalMessage, OwnUser, QueryChannelsOptions, SendMessageOptions, SortOption, User } from './types';

export interface ChatClientOptions {
  /** The chat-server's base URL, e.g. `http://127.0.0.1:3030`. */
  baseURL?: string;
  fetch?: FetchLike;
  socket?: SocketFactory;
  timers?: Timers;
  random?: () => number;
  /** Messages per page for channel loads and scroll-back. */
  pageSize?: number;
  /** Newest messages re-queried per channel on recovery (server maximum 300). */
  recoveryMessageLimit?: number;
  /** Most pending sends kept while offline. */
  queueLimit?: number;
  pingIntervalMs?: number;
  staleAfterMs?: number;
  backoff?: BackoffOptions;
  /** Follow the browser's `online`/`offline` events (default: when a `window` exists). */
  watchNetwork?: boolean;
}

export interface ClientState {
  connection: ConnectionState;
  me: OwnUser | undefined;
  totalUnread: number;
  online: boolean;
  /** Sends waiting in the queue. */
  pendingSends: number;
}

export type TokenProvider = (refresh: boolean) => Promise<string>;

interface ResolvedOptions {
  baseURL: string;
  pageSize: number;
  recoveryMessageLimit: number;
}

/** The largest `limit` of one query-channels call (endpoints.md §4.2). */
const QUERY_CHANNELS_MAX = 30;

export class ChatClient {
  readonly apiKey: string;
  readonly api: RestClient;
  readonly options: ResolvedOptions;
  readonly timers: Timers;
  readonly state = new Store<ClientState>({ connection: 'idle', me: undefined, totalUnread: 0, online: true, pendingSends: 0 });
  user: User | undefined;
  private token: string | undefined;
  private tokenProvider: TokenProvider | undefined;
  private connection: Connection | undefined;
  private readonly channels = new Map<string, Channel>();
  private readonly emitter = new Emitter();
  private readonly queue: SendQueue;
  private readonly failedSends = new Map<string, PendingSend>();
  private readonly fetchImpl: FetchLike;
  private readonly socketFactory: SocketFactory;
  private unlistenNetwork: (() => void) | undefined;

  constructor(apiKey: string, private readonly rawOptions: ChatClientOptions = {}) {
    this.apiKey = apiKey;
    this.options = {
      baseURL: rawOptions.baseURL ?? 'http://127.0.0.1:3030',
      pageSize: rawOptions.pageSize ?? 30,
      recoveryMessageLimit: Math.min(rawOptions.recoveryMessageLimit ?? 100, 300),
    };
    this.timers = rawOptions.timers ?? realTimers;
    this.fetchImpl = rawOptions.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.socketFactory = rawOptions.socket ?? ((url) => new WebSocket(url) as unknown as ReturnType<SocketFactory>);
    this.api = new RestClient({
      baseURL: this.options.baseURL,
      apiKey,
      fetch: this.fetchImpl,
      token: () => this.token,
      connectionId: () => this.connection?.connectionId,
      online: () => this.isOnline(),
    });
    this.queue = new SendQueue(
      {
        canSend: () => this.isOnline(),
        send: async (item) => (await this.api.sendMessage(item.channelType, item.channelId, item.message)).message,
        fetch: async (id) => (await this.api.getMessage(id)).message,
        sent: (item, message) => {
          this.channels.get(item.cid)?.confirmSent(message);
          this.syncPending();
        },
        failed: (item, reason) => {
          this.failedSends.set(item.message.id, item);
          this.channels.get(item.cid)?.setStatus(item.message.id, 'failed', reason);
          this.syncPending();
        },
      },
      rawOptions.queueLimit ?? DEFAULT_QUEUE_LIMIT,
    );
  }

  get userId(): string | undefined {
    return this.user?.id;
  }

  isOnline(): boolean {
    return this.state.get().online;
  }

  /** Opens the user's socket. `token` is a JWT, or a provider called again when it expires. */
  async connectUser(user: User, token: string | TokenProvider): Promise<OwnUser | undefined> {
    if (this.connection) throw new Error('already connected: call disconnectUser first');
    this.user = user;
    this.tokenProvider = typeof token === 'function' ? token : undefined;
    if (typeof token === 'string') this.token = token;
    this.listenToNetwork();
    const connection = new Connection({
      baseURL: this.options.baseURL,
      apiKey: this.apiKey,
      user,
      token: async (refresh) => {
        if (this.tokenProvider && (refresh || !this.token)) this.token = await this.tokenProvider(refresh);
        if (!this.token) throw new Error('no token');
        return this.token;
      },
      socket: this.socketFactory,
      timers: this.timers,
      random: this.rawOptions.random,
      backoff: this.rawOptions.backoff,
      pingIntervalMs: this.rawOptions.pingIntervalMs,
      staleAfterMs: this.rawOptions.staleAfterMs,
      onEvent: (e) => this.dispatch(e),
      onStateChange: (connection) => {
        this.state.patch({ connection });
        this.emitter.emit({ type: 'connection.changed', online: connection === 'connected', state: connection });
      },
      onConnected: ({ me, recovered }) => {
        if (me) this.state.patch({ me, totalUnread: me.total_unread_count ?? 0 });
        if (recovered) void this.recover();
        else void this.queue.flush();
      },
    });
    this.connection = connection;
    if (!this.isOnline()) connection.goOffline();
    await connection.connect();
    return this.state.get().me;
  }

  async disconnectUser(): Promise<void> {
    this.connection?.disconnect();
    this.connection = undefined;
    this.unlistenNetwork?.();
    this.unlistenNetwork = undefined;
    for (const c of this.channels.values()) c.watching = false;
  }

  /** Subscribes to socket events of a type (or `'all'`), plus the local `connection.changed` and `connection.recovered`. */
  on(type: string, handler: EventHandler): () => void {
    return this.emitter.on(type, handler);
  }

  /** The channel object for a cid (created on first use; `data` is used if the server creates it). */
  channel(type: string, id: string, data: Record<string, unknown> = {}): Channel {
    const cid = `${type}:${id}`;
    let c = this.channels.get(cid);
    if (!c) {
      c = new Channel(this, type, id, data);
      this.channels.set(cid, c);
    }
    return c;
  }

  getChannel(cid: string): Channel | undefined {
    return this.channels.get(cid);
  }

  /** Queries channels and watches them (default); each result updates its channel object. */
  async queryChannels(filter: Record<string, unknown>, sort: SortOption[] = [], options: QueryChannelsOptions = {}): Promise<Channel[]> {
    const limit = options.message_limit ?? this.options.pageSize;
    const states = await this.api.queryChannels(filter, sort, { state: true, watch: true, message_limit: limit, ...options });
    return states.map((st) => {
      const c = this.channel(st.channel.type, st.channel.id);
      if (options.watch ?? true) c.watching = true;
      c.applyState(st, limit);
      return c;
    });
  }

  /** A live list of channels matching a filter (see `ChannelList`). */
  channelList(filter: Record<string, unknown>, sort?: SortOption[], options?: ChannelListOptions): ChannelList {
    return new ChannelList(this, filter, sort, options);
  }

  /** Goes offline/online by hand (tests, or an app's own network detection). */
  setOnline(online: boolean): void {
    if (this.state.get().online === online) return;
    this.state.patch({ online });
    if (online) {
      this.connection?.goOnline();
      void this.queue.flush();
    } else {
      this.connection?.goOffline();
    }
  }

  sendMessage(channel: Channel, text: string, options: SendMessageOptions): LocalMessage {
    const me = this.user;
    if (!me) throw new Error('connectUser first');
    const id = options.id ?? newMessageId(me.id);
    const body: PendingSend['message'] = { ...(options.extra ?? {}), id, text };
    if (options.parent_id) body.parent_id = options.parent_id;
    if (options.show_in_channel) body.show_in_channel = true;
    if (options.mentioned_users?.length) body.mentioned_users = options.mentioned_users;
    if (options.quoted_message_id) body.quoted_message_id = options.quoted_message_id;
    if (options.silent) body.silent = true;
    const members = channel.state.get().members;
    const local: LocalMessage = {
      ...(options.extra ?? {}),
      id,
      text,
      cid: channel.cid,
      type: options.parent_id ? 'reply' : 'regular',
      user: me,
      parent_id: options.parent_id,
      show_in_channel: options.show_in_channel,
      mentioned_users: (options.mentioned_users ?? []).map((u) => members[u]?.user ?? { id: u }),
      created_at: new Date(this.timers.now()).toISOString(),
      status: 'sending',
    };
    channel.putLocal(local);
    channel.stopTyping(options.parent_id);
    const item: PendingSend = { cid: channel.cid, channelType: channel.type, channelId: channel.id, message: body };
    if (!this.queue.push(item)) {
      this.failedSends.set(id, item);
      channel.setStatus(id, 'failed', `offline queue full (${this.queue.limit} pending sends)`);
      return { ...local, status: 'failed' };
    }
    this.syncPending();
    void this.queue.flush();
    return local;
  }

  retryMessage(channel: Channel, messageId: string): void {
    const item = this.failedSends.get(messageId);
    if (!item) return;
    if (!this.queue.push(item)) return;
    this.failedSends.delete(messageId);
    channel.setStatus(messageId, 'sending');
    this.syncPending();
    void this.queue.flush();
  }

  private syncPending(): void {
    this.state.patch({ pendingSends: this.queue.size });
  }

  private dispatch(e: ChatEvent): void {
    if (typeof e.total_unread_count === 'number') this.state.patch({ totalUnread: e.total_unread_count });
    if (e.me) this.state.patch({ me: e.me });
    if (e.type !== 'health.check' && e.cid) this.channels.get(e.cid)?.handleEvent(e);
    this.emitter.emit(e);
  }

  /** After a reconnect: re-watch and re-query every watched channel, refresh open threads, then send the queue. */
  private async recover(): Promise<void> {
    const watched = [...this.channels.values()].filter((c) => c.watching);
    const limit = this.options.recoveryMessageLimit;
    try {
      for (let i = 0; i < watched.length; i += QUERY_CHANNELS_MAX) {
        const chunk = watched.slice(i, i + QUERY_CHANNELS_MAX);
        const states = await this.api.queryChannels({ cid: { $in: chunk.map((c) => c.cid) } }, [], {
          state: true,
          watch: true,
          limit: QUERY_CHANNELS_MAX,
          message_limit: limit,
        });
        for (const st of states) this.channels.get(st.channel.cid)?.applyState(st, limit);
      }
      for (const c of watched) {
        for (const parentId of Object.keys(c.state.get().threads)) await c.loadReplies(parentId);
      }
    } catch {
      // A failure here means the network dropped again; the next reconnect recovers again.
      return;
    }
    this.emitter.emit({ type: 'connection.recovered' });
    await this.queue.flush();
  }

  private listenToNetwork(): void {
    const watch = this.rawOptions.watchNetwork ?? typeof window !== 'undefined';
    if (!watch || typeof window === 'undefined') return;
    const on = () => this.setOnline(true);
    const off = () => this.setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    if (typeof navigator !== 'undefined' && navigator.onLine === false) this.state.patch({ online: false });
    this.unlistenNetwork = () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }
}

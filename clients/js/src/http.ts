/**
 * Typed REST calls (api-spec/endpoints.md): every request carries `api_key`, the user JWT
 * in `Authorization` (no `Bearer` prefix) and `Stream-Auth-Type: jwt`; calls that watch
 * also carry the socket's `connection_id` so the server subscribes that socket.
 */

import { ApiError, NetworkError, OfflineError } from './errors';
import type {
  ChannelQueryOptions,
  ChannelStateResponse,
  ChatEvent,
  Member,
  Message,
  QueryChannelsOptions,
  Reaction,
  SortOption,
  UnreadCounts,
  User,
} from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RestOptions {
  baseURL: string;
  apiKey: string;
  fetch: FetchLike;
  /** The current token (read on every call, so a refreshed token is picked up). */
  token: () => string | undefined;
  /** The socket's id, when connected. */
  connectionId: () => string | undefined;
  /** False while the client knows it is offline: requests fail fast without a try. */
  online: () => boolean;
}

type Query = Record<string, string | number | boolean | undefined>;

const enc = encodeURIComponent;

export class RestClient {
  constructor(private readonly opts: RestOptions) {}

  async request<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    if (!this.opts.online()) throw new OfflineError();
    const params = new URLSearchParams({ api_key: this.opts.apiKey });
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined) params.set(k, String(v));
    }
    const url = `${this.opts.baseURL.replace(/\/$/, '')}${path}?${params.toString()}`;
    const headers: Record<string, string> = { 'Stream-Auth-Type': 'jwt' };
    const token = this.opts.token();
    if (token) headers['Authorization'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.opts.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new NetworkError(`${method} ${path} failed: ${String(e)}`, { cause: e });
    }
    let json: Record<string, unknown>;
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch (e) {
      if (!res.ok) throw new ApiError(`HTTP ${res.status}`, 0, res.status);
      throw new NetworkError(`${method} ${path}: unreadable body`, { cause: e });
    }
    if (!res.ok) {
      const message = typeof json.message === 'string' ? json.message : `HTTP ${res.status}`;
      const code = typeof json.code === 'number' ? json.code : 0;
      throw new ApiError(message, code, res.status);
    }
    return json as T;
  }

  private watchQuery(watch: boolean | undefined): Query {
    return watch ? { connection_id: this.opts.connectionId() } : {};
  }

  // Channels

  queryChannel(type: string, id: string, options: ChannelQueryOptions): Promise<ChannelStateResponse> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/query`, options, this.watchQuery(options.watch));
  }

  async queryChannels(
    filter: Record<string, unknown>,
    sort: SortOption[],
    options: QueryChannelsOptions,
  ): Promise<ChannelStateResponse[]> {
    const res = await this.request<{ channels: ChannelStateResponse[] }>(
      'POST',
      '/channels',
      { filter_conditions: filter, sort, ...options },
      this.watchQuery(options.watch ?? true),
    );
    return res.channels;
  }

  updateChannel(type: string, id: string, body: Record<string, unknown>): Promise<{ channel: unknown; members: Member[] }> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}`, body);
  }

  addMembers(type: string, id: string, userIds: string[]) {
    return this.updateChannel(type, id, { add_members: userIds });
  }

  removeMembers(type: string, id: string, userIds: string[]) {
    return this.updateChannel(type, id, { remove_members: userIds });
  }

  stopWatching(type: string, id: string): Promise<unknown> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/stop-watching`, {}, {
      connection_id: this.opts.connectionId(),
    });
  }

  queryMembers(payload: Record<string, unknown>): Promise<{ members: Member[] }> {
    return this.request('GET', '/members', undefined, { payload: JSON.stringify(payload) });
  }

  sendEvent(type: string, id: string, event: Record<string, unknown>): Promise<{ event: ChatEvent }> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/event`, { event });
  }

  // Read state

  markRead(type: string, id: string, body: { message_id?: string; thread_id?: string } = {}): Promise<{ event: ChatEvent }> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/read`, body);
  }

  markUnread(type: string, id: string, messageId: string): Promise<unknown> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/unread`, { message_id: messageId });
  }

  markAllRead(): Promise<unknown> {
    return this.request('POST', '/channels/read', {});
  }

  unreadCounts(): Promise<UnreadCounts> {
    return this.request('GET', '/unread');
  }

  // Messages and threads

  sendMessage(type: string, id: string, message: Record<string, unknown>): Promise<{ message: Message }> {
    return this.request('POST', `/channels/${enc(type)}/${enc(id)}/message`, { message });
  }

  getMessage(id: string): Promise<{ message: Message }> {
    return this.request('GET', `/messages/${enc(id)}`);
  }

  updateMessage(message: Message): Promise<{ message: Message }> {
    return this.request('POST', `/messages/${enc(message.id)}`, { message });
  }

  partialUpdateMessage(id: string, set: Record<string, unknown>, unset: string[] = []): Promise<{ message: Message }> {
    return this.request('PUT', `/messages/${enc(id)}`, { set, unset });
  }

  deleteMessage(id: string, hard = false): Promise<{ message: Message }> {
    return this.request('DELETE', `/messages/${enc(id)}`, undefined, hard ? { hard: true } : {});
  }

  getReplies(parentId: string, page: { limit?: number; id_lt?: string; id_gt?: string } = {}): Promise<{ messages: Message[] }> {
    return this.request('GET', `/messages/${enc(parentId)}/replies`, undefined, page);
  }

  // Reactions

  sendReaction(messageId: string, type: string, options: { enforce_unique?: boolean; score?: number } = {}): Promise<{ message: Message; reaction: Reaction }> {
    const reaction: Record<string, unknown> = { type };
    if (options.score !== undefined) reaction.score = options.score;
    return this.request('POST', `/messages/${enc(messageId)}/reaction`, {
      reaction,
      enforce_unique: options.enforce_unique ?? false,
    });
  }

  deleteReaction(messageId: string, type: string): Promise<{ message: Message; reaction: Reaction }> {
    return this.request('DELETE', `/messages/${enc(messageId)}/reaction/${enc(type)}`);
  }

  getReactions(messageId: string, page: { limit?: number; offset?: number } = {}): Promise<{ reactions: Reaction[] }> {
    return this.request('GET', `/messages/${enc(messageId)}/reactions`, undefined, page);
  }

  // Users

  queryUsers(payload: Record<string, unknown>): Promise<{ users: User[] }> {
    return this.request('GET', '/users', undefined, { payload: JSON.stringify(payload) });
  }

  upsertUsers(users: User[]): Promise<{ users: Record<string, User> }> {
    return this.request('POST', '/users', { users: Object.fromEntries(users.map((u) => [u.id, u])) });
  }

  partialUpdateUser(id: string, set: Record<string, unknown>, unset: string[] = []): Promise<{ users: Record<string, User> }> {
    return this.request('PATCH', '/users', { users: [{ id, set, unset }] });
  }
}

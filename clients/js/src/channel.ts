/**
 * One channel as this client sees it: an observable state (messages, thread replies,
 * members, read state, typing, unread count) fed by query results and socket events, plus
 * the calls that act on the channel. Merges are keyed by message id, so events, query
 * results and our own sends can overlap without duplicating anything.
 */

import type { ChatClient } from './client';
import { isNetworkError } from './errors';
import { compareMessages, fromServer, inChannelList, mergeMessages, removeMessage, updateMessage } from './messages';
import { Store } from './store';
import type {
  ChannelData,
  ChannelQueryOptions,
  ChannelStateResponse,
  ChatEvent,
  LocalMessage,
  Member,
  Message,
  ReadEntry,
  SendMessageOptions,
  User,
} from './types';

export interface TypingEntry {
  user: User;
  parentId?: string;
  /** Client time the last `typing.start` arrived. */
  at: number;
}

export interface ChannelState {
  data: ChannelData | undefined;
  /** The channel's main list, oldest first. */
  messages: LocalMessage[];
  /** Loaded threads: parent message id → replies, oldest first. */
  threads: Record<string, LocalMessage[]>;
  members: Record<string, Member>;
  read: Record<string, ReadEntry>;
  /** Who is typing, keyed by `userId` or `userId:parentId`. */
  typing: Record<string, TypingEntry>;
  /** The connected user's unread messages here. */
  unreadCount: number;
  watcherCount: number;
  /** Whether older messages exist beyond the first loaded one. */
  hasMoreOlder: boolean;
  loadingOlder: boolean;
  /** The first query has been applied. */
  initialized: boolean;
}

const emptyState = (): ChannelState => ({
  data: undefined,
  messages: [],
  threads: {},
  members: {},
  read: {},
  typing: {},
  unreadCount: 0,
  watcherCount: 0,
  hasMoreOlder: true,
  loadingOlder: false,
  initialized: false,
});

/** How long a remote `typing.start` is believed without a refresh, ms. */
const TYPING_EXPIRES_MS = 7_000;
/** Our own typing: re-announce at most this often, and stop after this long idle. */
const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 3_000;

export class Channel {
  readonly type: string;
  readonly id: string;
  readonly cid: string;
  readonly state: Store<ChannelState>;
  /** Whether this client asked to watch the channel (so recovery re-watches it). */
  watching = false;
  private readonly typingExpiry = new Map<string, unknown>();
  private ownTyping = new Map<string, { sentAt: number; stopTimer: unknown }>();
  private markReadInFlight: Promise<void> | undefined;

  constructor(
    private readonly client: ChatClient,
    type: string,
    id: string,
    private readonly createData: Record<string, unknown> = {},
  ) {
    this.type = type;
    this.id = id;
    this.cid = `${type}:${id}`;
    this.state = new Store<ChannelState>(emptyState());
  }

  get pageSize(): number {
    return this.client.options.pageSize;
  }

  /** Gets or creates the channel, watches it, and loads its newest page. */
  async watch(options: ChannelQueryOptions = {}): Promise<ChannelStateResponse> {
    const res = await this.client.api.queryChannel(this.type, this.id, {
      state: true,
      watch: true,
      data: Object.keys(this.createData).length ? this.createData : undefined,
      messages: { limit: this.pageSize },
      ...options,
    });
    this.watching = true;
    this.applyState(res, this.pageSize);
    return res;
  }

  async stopWatching(): Promise<void> {
    this.watching = false;
    await this.client.api.stopWatching(this.type, this.id);
  }

  /**
   * Takes a query result. Its messages are the newest `pageLimit` of the channel: when they
   * overlap what is kept they are merged; when they do not (more was missed than a page),
   * the kept list is replaced so that it never has a hole, and scroll-back fills the rest.
   */
  applyState(res: ChannelStateResponse, pageLimit: number): void {
    const me = this.client.userId;
    const incoming = res.messages.map((m) => fromServer(m));
    this.state.set((s) => {
      const kept = s.messages;
      const pending = kept.filter((m) => m.status === 'sending' || m.status === 'failed');
      const confirmed = kept.filter((m) => m.status === 'received' || m.status === 'sent');
      let messages: LocalMessage[];
      let hasMoreOlder = s.hasMoreOlder;
      const oldestIncoming = incoming[0];
      const newestKept = confirmed[confirmed.length - 1];
      const overlaps =
        confirmed.length === 0 ||
        incoming.length < pageLimit ||
        (oldestIncoming !== undefined &&
          newestKept !== undefined &&
          (confirmed.some((m) => m.id === oldestIncoming.id) || compareMessages(oldestIncoming, newestKept) <= 0));
      if (!s.initialized || confirmed.length === 0) {
        messages = mergeMessages(pending, incoming);
        hasMoreOlder = incoming.length >= pageLimit;
      } else if (overlaps) {
        // Within the span the page covers, the server's list is the truth: a message we
        // hold there that it no longer returns was hard-deleted while we were away.
        const first = incoming[0];
        const last = incoming[incoming.length - 1];
        const ids = new Set(incoming.map((m) => m.id));
        const stillThere =
          first && last
            ? kept.filter(
                (m) =>
                  m.status === 'sending' ||
                  m.status === 'failed' ||
                  ids.has(m.id) ||
                  compareMessages(m, first) < 0 ||
                  compareMessages(m, last) > 0,
              )
            : kept;
        messages = mergeMessages(stillThere, incoming);
      } else {
        messages = mergeMessages(pending, incoming);
        hasMoreOlder = true;
      }
      const members: Record<string, Member> = {};
      for (const m of res.members ?? []) {
        const id = m.user_id ?? m.user?.id;
        if (id) members[id] = m;
      }
      const read: Record<string, ReadEntry> = {};
      for (const r of res.read ?? []) read[r.user.id] = r;
      const mine = me ? read[me] : undefined;
      return {
        ...s,
        data: res.channel,
        messages,
        members,
        read,
        watcherCount: res.watcher_count ?? s.watcherCount,
        unreadCount: mine?.unread_messages ?? s.unreadCount,
        hasMoreOlder,
        initialized: true,
      };
    });
  }

  /** Loads the page before the oldest loaded message. Resolves with how many were new. */
  async loadOlder(limit = this.pageSize): Promise<number> {
    const s = this.state.get();
    if (s.loadingOlder || !s.hasMoreOlder) return 0;
    const oldest = s.messages.find((m) => m.status === 'received' || m.status === 'sent');
    if (!oldest) return 0;
    this.state.patch({ loadingOlder: true });
    try {
      const res = await this.client.api.queryChannel(this.type, this.id, {
        state: true,
        watch: false,
        messages: { limit, id_lt: oldest.id },
      });
      const page = res.messages.map((m) => fromServer(m));
      const before = this.state.get().messages.length;
      this.state.set((st) => ({
        ...st,
        messages: mergeMessages(st.messages, page),
        hasMoreOlder: page.length >= limit,
        loadingOlder: false,
      }));
      return this.state.get().messages.length - before;
    } catch (e) {
      this.state.patch({ loadingOlder: false });
      throw e;
    }
  }

  /** Loads (or refreshes) a thread's replies. */
  async loadReplies(parentId: string, limit = 100): Promise<LocalMessage[]> {
    const res = await this.client.api.getReplies(parentId, { limit });
    const replies = res.messages.map((m) => fromServer(m));
    this.state.set((s) => ({
      ...s,
      threads: { ...s.threads, [parentId]: mergeMessages(s.threads[parentId] ?? [], replies) },
    }));
    return this.state.get().threads[parentId] ?? [];
  }

  /** Sends a message optimistically: shown as `sending` at once, queued while offline. */
  sendMessage(text: string, options: SendMessageOptions = {}): LocalMessage {
    return this.client.sendMessage(this, text, options);
  }

  /** Sends a failed message again, with the same id. */
  retry(messageId: string): void {
    this.client.retryMessage(this, messageId);
  }

  /** Adds or replaces a local copy (own sends), in the main list and/or its thread. */
  putLocal(message: LocalMessage): void {
    this.state.set((s) => {
      let { messages, threads } = s;
      if (inChannelList(message)) messages = mergeMessages(messages, [message]);
      const parent = message.parent_id;
      if (parent) {
        const known = threads[parent]?.some((m) => m.id === message.id) ?? false;
        threads = { ...threads, [parent]: mergeMessages(threads[parent] ?? [], [message]) };
        if (!known) messages = bumpReplyCount(messages, parent, message);
      }
      return { ...s, messages, threads };
    });
  }

  /** Sets the status of a local message wherever it is shown. */
  setStatus(messageId: string, status: LocalMessage['status'], error?: string): void {
    const upd = (m: LocalMessage): LocalMessage => ({ ...m, status, error });
    this.state.set((s) => ({
      ...s,
      messages: updateMessage(s.messages, messageId, upd),
      threads: mapThreads(s.threads, (list) => updateMessage(list, messageId, upd)),
    }));
  }

  /** The server stored our message: take its copy. */
  confirmSent(message: Message): void {
    this.putLocal(fromServer(message, 'sent'));
  }

  findMessage(id: string): LocalMessage | undefined {
    const s = this.state.get();
    return s.messages.find((m) => m.id === id) ?? Object.values(s.threads).flat().find((m) => m.id === id);
  }

  /** Marks the channel read up to now; no request when nothing is unread. */
  markRead(): Promise<void> {
    if (this.state.get().unreadCount === 0 && !this.hasUnreadOwnCursor()) return Promise.resolve();
    if (this.markReadInFlight) return this.markReadInFlight;
    this.state.patch({ unreadCount: 0 });
    this.markReadInFlight = this.client.api
      .markRead(this.type, this.id)
      .then(() => undefined)
      .catch((e: unknown) => {
        if (!isNetworkError(e)) throw e;
      })
      .finally(() => {
        this.markReadInFlight = undefined;
      });
    return this.markReadInFlight;
  }

  /** Whether our read cursor is behind the newest message (read state from other tabs). */
  private hasUnreadOwnCursor(): boolean {
    const me = this.client.userId;
    const s = this.state.get();
    const last = s.messages.filter((m) => m.status === 'received').at(-1);
    if (!me || !last?.created_at || last.user?.id === me) return false;
    const mine = s.read[me];
    return !mine || Date.parse(mine.last_read) < Date.parse(last.created_at);
  }

  /** Call on each keystroke: sends `typing.start` (throttled) and `typing.stop` when idle. */
  keystroke(parentId?: string): void {
    const key = parentId ?? '';
    const now = this.client.timers.now();
    const t = this.ownTyping.get(key);
    if (t) this.client.timers.clearTimeout(t.stopTimer);
    const repeat = !t || now - t.sentAt >= TYPING_REPEAT_MS;
    const sentAt = repeat ? now : t.sentAt;
    if (repeat) this.sendTyping('typing.start', parentId);
    const stopTimer = this.client.timers.setTimeout(() => this.stopTyping(parentId), TYPING_IDLE_MS);
    this.ownTyping.set(key, { sentAt, stopTimer });
  }

  stopTyping(parentId?: string): void {
    const key = parentId ?? '';
    const t = this.ownTyping.get(key);
    if (!t) return;
    this.client.timers.clearTimeout(t.stopTimer);
    this.ownTyping.delete(key);
    this.sendTyping('typing.stop', parentId);
  }

  private sendTyping(type: string, parentId?: string): void {
    if (!this.client.isOnline()) return;
    const event: Record<string, unknown> = { type };
    if (parentId) event.parent_id = parentId;
    // Typing is best effort: a lost indicator is not worth an error.
    this.client.api.sendEvent(this.type, this.id, event).catch(() => undefined);
  }

  async sendReaction(messageId: string, type: string, options: { enforce_unique?: boolean } = {}): Promise<void> {
    const res = await this.client.api.sendReaction(messageId, type, options);
    this.takeReactionMessage(res.message, res.reaction.user_id, type, 'add');
  }

  async deleteReaction(messageId: string, type: string): Promise<void> {
    const res = await this.client.api.deleteReaction(messageId, type);
    this.takeReactionMessage(res.message, this.client.userId ?? '', type, 'remove');
  }

  /** Reaction responses and events carry the message; our own reactions are kept locally. */
  private takeReactionMessage(message: Message, actor: string, type: string, op: 'add' | 'remove'): void {
    const me = this.client.userId;
    const upd = (kept: LocalMessage): LocalMessage => {
      let own = kept.own_reactions ?? [];
      if (actor === me) {
        own = own.filter((r) => r.type !== type);
        if (op === 'add') own = [...own, { type, user_id: actor, message_id: kept.id }];
      }
      return { ...kept, ...message, own_reactions: own, status: kept.status };
    };
    this.state.set((s) => ({
      ...s,
      messages: updateMessage(s.messages, message.id, upd),
      threads: mapThreads(s.threads, (list) => updateMessage(list, message.id, upd)),
    }));
  }

  /** Applies one socket event addressed to this channel. */
  handleEvent(e: ChatEvent): void {
    const me = this.client.userId;
    switch (e.type) {
      case 'message.new':
      case 'notification.message_new': {
        const m = e.message;
        if (!m) return;
        const incoming = fromServer(m);
        this.state.set((s) => {
          let { messages, threads, unreadCount } = s;
          const isNew = !messages.some((x) => x.id === m.id) && !(m.parent_id && threads[m.parent_id]?.some((x) => x.id === m.id));
          if (inChannelList(m)) messages = mergeMessages(messages, [incoming]);
          if (m.parent_id) {
            if (threads[m.parent_id]) threads = { ...threads, [m.parent_id]: mergeMessages(threads[m.parent_id] ?? [], [incoming]) };
            if (isNew) messages = bumpReplyCount(messages, m.parent_id, m);
          }
          const fromOther = (m.user?.id ?? m.user_id) !== me;
          if (isNew && fromOther && inChannelList(m) && !m.silent) unreadCount += 1;
          if (typeof e.unread_messages === 'number') unreadCount = e.unread_messages;
          const typing = { ...s.typing };
          for (const k of Object.keys(typing)) if (typing[k]?.user.id === (m.user?.id ?? m.user_id)) delete typing[k];
          const data = s.data && m.created_at && inChannelList(m) ? { ...s.data, last_message_at: m.created_at } : s.data;
          return { ...s, data, messages, threads, unreadCount, typing };
        });
        return;
      }
      case 'message.updated':
      case 'message.deleted': {
        const m = e.message;
        if (!m) return;
        if (e.type === 'message.deleted' && e.hard_delete) {
          this.state.set((s) => ({ ...s, messages: removeMessage(s.messages, m.id), threads: mapThreads(s.threads, (l) => removeMessage(l, m.id)) }));
          return;
        }
        const upd = (kept: LocalMessage): LocalMessage => ({ ...kept, ...m, own_reactions: m.own_reactions ?? kept.own_reactions, status: kept.status });
        this.state.set((s) => ({
          ...s,
          messages: updateMessage(s.messages, m.id, upd),
          threads: mapThreads(s.threads, (l) => updateMessage(l, m.id, upd)),
        }));
        return;
      }
      case 'reaction.new':
      case 'reaction.updated':
      case 'reaction.deleted': {
        if (!e.message || !e.reaction) return;
        this.takeReactionMessage(e.message, e.reaction.user_id, e.reaction.type, e.type === 'reaction.deleted' ? 'remove' : 'add');
        return;
      }
      case 'typing.start':
      case 'typing.stop': {
        const user = e.user;
        if (!user || user.id === me) return;
        const key = e.parent_id ? `${user.id}:${e.parent_id}` : user.id;
        this.client.timers.clearTimeout(this.typingExpiry.get(key));
        if (e.type === 'typing.start') {
          this.state.set((s) => ({ ...s, typing: { ...s.typing, [key]: { user, parentId: e.parent_id, at: this.client.timers.now() } } }));
          this.typingExpiry.set(key, this.client.timers.setTimeout(() => this.dropTyping(key), TYPING_EXPIRES_MS));
        } else {
          this.dropTyping(key);
        }
        return;
      }
      case 'message.read':
      case 'notification.mark_read': {
        const user = e.user;
        this.state.set((s) => {
          let { read, unreadCount } = s;
          if (user && e.type === 'message.read') {
            read = {
              ...read,
              [user.id]: { user, last_read: e.created_at ?? new Date().toISOString(), unread_messages: 0, last_read_message_id: e.last_read_message_id },
            };
          }
          if ((user?.id === me || e.type === 'notification.mark_read') && !e.thread_id) unreadCount = 0;
          return { ...s, read, unreadCount };
        });
        return;
      }
      case 'notification.mark_unread': {
        if (typeof e.unread_messages === 'number') this.state.patch({ unreadCount: e.unread_messages });
        return;
      }
      case 'member.added':
      case 'member.updated': {
        const m = e.member;
        const id = m?.user_id ?? m?.user?.id;
        if (m && id) this.state.set((s) => ({ ...s, members: { ...s.members, [id]: m } }));
        return;
      }
      case 'member.removed': {
        const id = e.member?.user_id ?? e.user?.id;
        if (!id) return;
        this.state.set((s) => {
          const members = { ...s.members };
          delete members[id];
          return { ...s, members };
        });
        return;
      }
      case 'channel.updated':
        if (e.channel) this.state.set((s) => ({ ...s, data: { ...s.data, ...e.channel } as ChannelData }));
        return;
      case 'channel.truncated':
        this.state.set((s) => ({ ...s, messages: [], threads: {}, hasMoreOlder: false, data: e.channel ? { ...s.data, ...e.channel } as ChannelData : s.data }));
        return;
      case 'user.watching.start':
      case 'user.watching.stop':
        if (typeof e.watcher_count === 'number') this.state.patch({ watcherCount: e.watcher_count });
        return;
      default:
        return;
    }
  }

  private dropTyping(key: string): void {
    this.typingExpiry.delete(key);
    this.state.set((s) => {
      if (!(key in s.typing)) return s;
      const typing = { ...s.typing };
      delete typing[key];
      return { ...s, typing };
    });
  }

  /** Users typing here (in the main list, or in the given thread), excluding ourselves. */
  typingUsers(parentId?: string): User[] {
    return Object.values(this.state.get().typing)
      .filter((t) => (t.parentId ?? undefined) === parentId)
      .map((t) => t.user);
  }

  /** Member user ids other than the connected user. */
  otherMembers(): User[] {
    const me = this.client.userId;
    return Object.values(this.state.get().members)
      .map((m) => m.user ?? ({ id: m.user_id ?? '' } as User))
      .filter((u) => u.id && u.id !== me);
  }
}

function mapThreads(threads: Record<string, LocalMessage[]>, f: (l: LocalMessage[]) => LocalMessage[]): Record<string, LocalMessage[]> {
  let changed = false;
  const out: Record<string, LocalMessage[]> = {};
  for (const [k, v] of Object.entries(threads)) {
    const n = f(v);
    if (n !== v) changed = true;
    out[k] = n;
  }
  return changed ? out : threads;
}

function bumpReplyCount(messages: LocalMessage[], parentId: string, reply: Message): LocalMessage[] {
  return updateMessage(messages, parentId, (p) => {
    const participants = p.thread_participants ?? [];
    const author = reply.user;
    return {
      ...p,
      reply_count: (p.reply_count ?? 0) + 1,
      thread_participants: author && !participants.some((u) => u.id === author.id) ? [...participants, author] : participants,
    };
  });
}

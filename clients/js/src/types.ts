/**
 * Wire types: the JSON shapes of api-spec/objects.md as this client reads and writes them.
 * Only the fields the client uses are typed; every object keeps its other keys (custom
 * data) through the index signature.
 */

export interface User {
  id: string;
  name?: string;
  image?: string;
  role?: string;
  online?: boolean;
  last_active?: string;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

/** The connected user as the first `health.check` frame returns it (`me`). */
export interface OwnUser extends User {
  total_unread_count?: number;
  unread_channels?: number;
  unread_threads?: number;
}

export interface Reaction {
  message_id: string;
  user_id: string;
  user?: User;
  type: string;
  score?: number;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface ReactionGroup {
  count: number;
  sum_scores: number;
  first_reaction_at?: string;
  last_reaction_at?: string;
}

export interface Message {
  id: string;
  cid?: string;
  type?: string;
  text?: string;
  html?: string;
  user?: User;
  user_id?: string;
  parent_id?: string;
  show_in_channel?: boolean;
  reply_count?: number;
  thread_participants?: User[];
  mentioned_users?: User[];
  latest_reactions?: Reaction[];
  own_reactions?: Reaction[];
  reaction_counts?: Record<string, number> | null;
  reaction_scores?: Record<string, number> | null;
  reaction_groups?: Record<string, ReactionGroup> | null;
  quoted_message_id?: string;
  quoted_message?: Message;
  silent?: boolean;
  pinned?: boolean;
  created_at?: string;
  updated_at?: string;
  deleted_at?: string;
  [key: string]: unknown;
}

/** Where a message stands from this client's point of view. */
export type MessageStatus = 'sending' | 'sent' | 'failed' | 'received';

/** A message as the client keeps it: the wire message plus its local delivery status. */
export interface LocalMessage extends Message {
  status: MessageStatus;
  /** Set on `failed`: why the last attempt was refused. */
  error?: string;
}

export interface ChannelData {
  id: string;
  type: string;
  cid: string;
  name?: string;
  image?: string;
  created_by?: User;
  created_at?: string;
  updated_at?: string;
  last_message_at?: string | null;
  member_count?: number;
  frozen?: boolean;
  own_capabilities?: string[];
  [key: string]: unknown;
}

export interface Member {
  user_id?: string;
  user?: User;
  channel_role?: string;
  role?: string;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface ReadEntry {
  user: User;
  last_read: string;
  unread_messages?: number;
  last_read_message_id?: string;
}

/** `ChannelState` of objects.md §4 as returned by the channel queries. */
export interface ChannelStateResponse {
  channel: ChannelData;
  messages: Message[];
  pinned_messages?: Message[];
  members: Member[];
  membership?: Member | null;
  read?: ReadEntry[];
  watcher_count?: number;
  watchers?: User[];
  hidden?: boolean;
}

/** An event as received over the socket (objects.md §14). */
export interface ChatEvent {
  type: string;
  created_at?: string;
  cid?: string;
  channel_id?: string;
  channel_type?: string;
  channel?: ChannelData;
  message?: Message;
  reaction?: Reaction;
  member?: Member;
  user?: User;
  user_id?: string;
  me?: OwnUser;
  connection_id?: string;
  watcher_count?: number;
  total_unread_count?: number;
  unread_channels?: number;
  unread_messages?: number;
  unread_count?: number;
  parent_id?: string;
  last_read_message_id?: string;
  hard_delete?: boolean;
  [key: string]: unknown;
}

export type SortDirection = 1 | -1;
export interface SortOption {
  field: string;
  direction: SortDirection;
}

/** A message page request of `messages` in channel queries (endpoints.md §4.1). */
export interface MessagePagination {
  limit?: number;
  id_lt?: string;
  id_lte?: string;
  id_gt?: string;
  id_gte?: string;
  id_around?: string;
  created_at_before?: string;
  created_at_after?: string;
}

export interface ChannelQueryOptions {
  state?: boolean;
  watch?: boolean;
  presence?: boolean;
  messages?: MessagePagination;
  members?: { limit?: number; offset?: number };
  data?: Record<string, unknown>;
}

export interface QueryChannelsOptions {
  limit?: number;
  offset?: number;
  message_limit?: number;
  member_limit?: number;
  watch?: boolean;
  state?: boolean;
}

/** What a send accepts besides the text. */
export interface SendMessageOptions {
  /** Client-chosen id; generated when absent. */
  id?: string;
  parent_id?: string;
  show_in_channel?: boolean;
  mentioned_users?: string[];
  quoted_message_id?: string;
  silent?: boolean;
  /** Custom fields, sent as part of the message. */
  extra?: Record<string, unknown>;
}

export interface UnreadCounts {
  total_unread_count: number;
  total_unread_threads_count?: number;
  channels: { channel_id: string; unread_count: number; last_read?: string }[];
  [key: string]: unknown;
}

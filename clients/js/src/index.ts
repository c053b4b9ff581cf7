/**
 * `@chat-engine/client`: a TypeScript client for the chat engine's HTTP + WebSocket API
 * (api-spec/). Start with `new ChatClient(apiKey, { baseURL })` and `connectUser`.
 */

export { ChatClient, type ChatClientOptions, type ClientState, type TokenProvider } from './client';
export { Channel, type ChannelState, type TypingEntry } from './channel';
export { ChannelList, type ChannelListOptions, type ChannelListState } from './channelList';
export { Connection, type ConnectionState, type SocketFactory, type SocketLike, type Timers } from './connection';
export { RestClient, type FetchLike } from './http';
export { ApiError, NetworkError, OfflineError, isNetworkError } from './errors';
export { SendQueue, type PendingSend, DEFAULT_QUEUE_LIMIT } from './queue';
export { Store, type Listener } from './store';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export { compareMessages, mergeMessages, inChannelList, newMessageId } from './messages';
export type * from './types';

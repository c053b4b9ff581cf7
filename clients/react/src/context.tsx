/**
 * The React contexts: `Chat` provides the client to everything below it; `Channel`
 * (ChannelView.tsx) provides the active channel and its open thread.
 */

import type { Channel as ChannelModel, ChatClient } from '@chat-engine/client';
import { createContext, useContext, type ReactNode } from 'react';

const ClientContext = createContext<ChatClient | undefined>(undefined);

export interface ChatProps {
  client: ChatClient;
  children?: ReactNode;
}

/** Makes a connected `ChatClient` available to the kit's components and hooks. */
export function Chat({ client, children }: ChatProps) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** The client given to the nearest `Chat`. */
export function useChatClient(): ChatClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useChatClient must be used inside <Chat client={…}>');
  return client;
}

export interface ChannelContextValue {
  channel: ChannelModel;
  /** Parent message id of the open thread, if any. */
  thread: string | undefined;
  openThread(parentId: string): void;
  closeThread(): void;
}

export const ChannelContext = createContext<ChannelContextValue | undefined>(undefined);

/** The channel of the nearest `Channel`. */
export function useChannelContext(): ChannelContextValue {
  const value = useContext(ChannelContext);
  if (!value) throw new Error('this component must be used inside <Channel channel={…}>');
  return value;
}

/**
 * `@chat-engine/react`: React components and hooks over `@chat-engine/client`.
 * Import `@chat-engine/react/styles.css` for the default look.
 */

export { Chat, useChatClient, useChannelContext, type ChatProps, type ChannelContextValue } from './context';
export { Channel, type ChannelProps } from './ChannelView';
export { ChannelList, DefaultChannelPreview, type ChannelListProps, type ChannelPreviewProps } from './ChannelList';
export { MessageList, type MessageListProps } from './MessageList';
export { MessageInput, mentionQuery, type MessageInputProps } from './MessageInput';
export { Thread, type ThreadProps } from './Thread';
export { TypingIndicator } from './TypingIndicator';
export { Reactions, ReactionPicker, DEFAULT_REACTIONS } from './Reactions';
export { DefaultMessage, readReceipts, type MessageProps, type MessageComponent } from './Message';
export { ConnectionStatus } from './ConnectionStatus';
export { useChannelState, useClientState, useStore, useStoreSelector, useTyping } from './hooks';
export { channelName, displayName } from './names';

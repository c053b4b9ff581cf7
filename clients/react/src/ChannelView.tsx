/**
 * `Channel`: shows one channel. It loads (and watches) the channel when first shown,
 * marks it read while it is on screen and new messages arrive, and keeps which thread
 * is open for `MessageList` and `Thread` below it.
 */

import type { Channel as ChannelModel } from '@chat-engine/client';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { ChannelContext, type ChannelContextValue } from './context';
import { useStoreSelector } from './hooks';

export interface ChannelProps {
  channel: ChannelModel;
  children?: ReactNode;
  /** Mark read while shown (default true). */
  markReadOnView?: boolean;
}

export function Channel({ channel, children, markReadOnView = true }: ChannelProps) {
  const [thread, setThread] = useState<string | undefined>(undefined);
  const initialized = useStoreSelector(channel.state, (s) => s.initialized);
  const unread = useStoreSelector(channel.state, (s) => s.unreadCount);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    setThread(undefined);
    if (!channel.watching || !channel.state.get().initialized) {
      channel.watch().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    }
  }, [channel]);

  // Read while on screen: when messages arrive, and when a hidden tab becomes visible.
  useEffect(() => {
    if (!markReadOnView || !initialized) return undefined;
    const markIfVisible = () => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
      if (channel.state.get().unreadCount > 0) channel.markRead().catch(() => undefined);
    };
    markIfVisible();
    if (typeof document === 'undefined') return undefined;
    document.addEventListener('visibilitychange', markIfVisible);
    return () => document.removeEventListener('visibilitychange', markIfVisible);
  }, [channel, initialized, unread, markReadOnView]);

  const value = useMemo<ChannelContextValue>(
    () => ({ channel, thread, openThread: setThread, closeThread: () => setThread(undefined) }),
    [channel, thread],
  );
  return (
    <ChannelContext.Provider value={value}>
      <div className="ce-channel" data-testid="channel" data-cid={channel.cid}>
        {error ? <div className="ce-error" role="alert">{error}</div> : null}
        {children}
      </div>
    </ChannelContext.Provider>
  );
}

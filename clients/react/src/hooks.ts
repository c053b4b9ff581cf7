/**
 * Hooks over the client's observable stores, through `useSyncExternalStore` so a render
 * always sees one consistent snapshot.
 */

import type { Channel, ChannelState, ClientState, Store, User } from '@chat-engine/client';
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { useChatClient } from './context';

/** Subscribes to a store; re-renders when its snapshot changes. */
export function useStore<T>(store: Store<T>): T {
  const subscribe = useCallback((cb: () => void) => store.subscribe(cb), [store]);
  return useSyncExternalStore(subscribe, () => store.get(), () => store.get());
}

/** A slice of a store, re-rendering only when the selected value changes (by `Object.is`). */
export function useStoreSelector<T, S>(store: Store<T>, select: (value: T) => S): S {
  const selectRef = useRef(select);
  selectRef.current = select;
  const subscribe = useCallback((cb: () => void) => store.subscribe(cb), [store]);
  const get = () => selectRef.current(store.get());
  return useSyncExternalStore(subscribe, get, get);
}

/** Connection state, own user, unread total, online flag of the client. */
export function useClientState(): ClientState {
  return useStore(useChatClient().state);
}

/** The whole state of a channel (messages, members, read state, typing, unread). */
export function useChannelState(channel: Channel): ChannelState {
  return useStore(channel.state);
}

/** Users typing in a channel (or in one of its threads), the connected user excluded. */
export function useTyping(channel: Channel, parentId?: string): User[] {
  const typing = useStoreSelector(channel.state, (s) => s.typing);
  return useMemo(
    () =>
      Object.values(typing)
        .filter((t) => t.parentId === parentId)
        .map((t) => t.user),
    [typing, parentId],
  );
}

/** Calls `fn` once on mount and its cleanup on unmount, with the latest props. */
export function useMountEffect(fn: () => void | (() => void)): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => ref.current(), []);
}

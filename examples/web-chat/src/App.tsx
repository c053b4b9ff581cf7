/**
 * The demo: log in as any user id, see your channels, chat, react, reply in threads, and
 * start a conversation with other user ids. `?user=<id>` logs in directly.
 */

import type { Channel as ChannelModel, ChannelList as ChannelListModel, ChatClient } from '@chat-engine/client';
import {
  Channel,
  ChannelList,
  Chat,
  ConnectionStatus,
  MessageInput,
  MessageList,
  Thread,
  TypingIndicator,
  channelName,
  useChannelContext,
  useChannelState,
  useChatClient,
} from '@chat-engine/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { login } from './session';

export function App() {
  const [client, setClient] = useState<ChatClient | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState('');

  const start = (user: string) => {
    setBusy(true);
    setError(undefined);
    login(user)
      .then(setClient)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };

  // StrictMode runs effects twice in development; log in once.
  const autoLogin = useRef(false);
  useEffect(() => {
    const user = new URLSearchParams(window.location.search).get('user');
    if (user && !autoLogin.current) {
      autoLogin.current = true;
      start(user);
    }
  }, []);

  if (!client) {
    return (
      <form
        className="login"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (name.trim()) start(name.trim());
        }}
      >
        <h1>web-chat</h1>
        <p>Log in as any user id (a development token is made for it).</p>
        <input data-testid="login-user" value={name} onChange={(e) => setName(e.target.value)} placeholder="alice" autoFocus />
        <button type="submit" disabled={busy}>
          {busy ? 'connecting…' : 'log in'}
        </button>
        {error ? <p className="ce-error" role="alert">{error}</p> : null}
      </form>
    );
  }
  return (
    <Chat client={client}>
      <Workspace />
    </Chat>
  );
}

function Workspace() {
  const client = useChatClient();
  const me = client.userId ?? '';
  const [list, setList] = useState<ChannelListModel | undefined>();
  const [active, setActive] = useState<ChannelModel | undefined>();
  useEffect(() => {
    const l = client.channelList({ members: { $in: [me] } }, [{ field: 'last_message_at', direction: -1 }]);
    setList(l);
    void l.load();
    return () => l.close();
  }, [client, me]);
  return (
    <div className="layout">
      <aside className="sidebar">
        <div className="me" data-testid="me">
          {me}
        </div>
        <ConnectionStatus />
        {list ? <ChannelList list={list} activeCid={active?.cid} onSelect={setActive} /> : null}
        <NewChannel
          onCreated={(c) => {
            list?.add(c);
            setActive(c);
          }}
        />
      </aside>
      {active ? (
        <Channel channel={active} key={active.cid}>
          <ChannelPane />
        </Channel>
      ) : (
        <main className="empty">Pick a conversation, or start one.</main>
      )}
    </div>
  );
}

function ChannelPane() {
  const { channel, thread } = useChannelContext();
  const client = useChatClient();
  const state = useChannelState(channel);
  return (
    <div className={thread ? 'pane with-thread' : 'pane'}>
      <main className="main">
        <header className="channel-head" data-testid="channel-title">
          {state.data ? channelName(channel, client.userId) : channel.id}
          <span className="members">{Object.keys(state.members).join(', ')}</span>
        </header>
        <MessageList />
        <TypingIndicator />
        <MessageInput />
      </main>
      {thread ? <Thread /> : null}
    </div>
  );
}

function NewChannel({ onCreated }: { onCreated: (c: ChannelModel) => void }) {
  const client = useChatClient();
  const [members, setMembers] = useState('');
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const me = client.userId ?? '';
    const ids = [...new Set([me, ...members.split(/[\s,]+/).filter(Boolean)])];
    const id = title.trim() ? title.trim().toLowerCase().replace(/[^a-z0-9_-]+/g, '-') : `dm-${ids.sort().join('-')}`;
    try {
      const channel = client.channel('messaging', id, { members: ids, name: title.trim() || undefined });
      await channel.watch();
      setMembers('');
      setTitle('');
      setError(undefined);
      onCreated(channel);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form className="new-channel" onSubmit={(e) => void submit(e)}>
      <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="channel name (optional)" />
      <input value={members} onChange={(e) => setMembers(e.target.value)} placeholder="members: bob, carol" />
      <button type="submit">start conversation</button>
      {error ? <div className="ce-error">{error}</div> : null}
    </form>
  );
}

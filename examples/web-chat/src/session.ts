/** Logging in to the demo: a user id → a token from the dev-only `/dev-token` route → a connected client. */

import { ChatClient } from '@chat-engine/client';

export interface DevToken {
  api_key: string;
  token: string;
  base_url: string;
}

async function fetchToken(user: string): Promise<DevToken> {
  const res = await fetch(`/dev-token?user=${encodeURIComponent(user)}`);
  const body = (await res.json()) as DevToken & { message?: string };
  if (!res.ok) throw new Error(body.message ?? `token route answered ${res.status}`);
  return body;
}

export async function login(user: string): Promise<ChatClient> {
  const first = await fetchToken(user);
  const client = new ChatClient(first.api_key, { baseURL: first.base_url });
  // The provider is asked again only if the server says the token expired.
  await client.connectUser({ id: user, name: user }, async (refresh) => (refresh ? (await fetchToken(user)).token : first.token));
  // Exposed for the end-to-end tests, which read the client's state to check for gaps and duplicates.
  (window as unknown as { __chatClient?: ChatClient }).__chatClient = client;
  return client;
}

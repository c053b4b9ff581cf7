// Development-only token route for the demo: signs user tokens (HS256 JWTs) with the dev
// app's secret, read from the chat-server's data dir. It runs in Node (the Vite dev
// server, or the e2e harness), never in the browser: a real app issues tokens from its
// own backend after its own login, and never ships the secret to the browser.

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs an HS256 JWT with `secret`. */
export function signJwt(payload, secret) {
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
}

/** A user token for `userId` (claims of api-spec/auth.md §2.1). */
export function userToken(userId, secret) {
  return signJwt({ user_id: userId, iat: Math.floor(Date.now() / 1000) - 5 }, secret);
}

/** A server token (no `user_id`). */
export function serverToken(secret) {
  return signJwt({ server: true }, secret);
}

/** Reads `dev-app.json` ({api_key, api_secret}) from the server's data dir. */
export function readDevApp(dataDir) {
  return JSON.parse(readFileSync(join(dataDir, 'dev-app.json'), 'utf8'));
}

/**
 * A connect/Node middleware answering `GET /dev-token?user=<id>` with
 * `{api_key, token, base_url}`. The data dir is read on each request, so it works whether
 * the server started before or after the dev server.
 */
export function devTokenMiddleware({ dataDir, serverURL }) {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/dev-token') return next?.();
    const user = url.searchParams.get('user') ?? '';
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-store');
    if (!/^[A-Za-z0-9@_-]{1,64}$/.test(user)) {
      res.statusCode = 400;
      res.end(JSON.stringify({ message: 'user must be letters, digits, @ _ -' }));
      return;
    }
    let app;
    try {
      app = readDevApp(dataDir);
    } catch (e) {
      res.statusCode = 503;
      res.end(JSON.stringify({ message: `no dev app in ${dataDir}: start chat-server first (${e.message})` }));
      return;
    }
    res.end(JSON.stringify({ api_key: app.api_key, token: userToken(user, app.api_secret), base_url: serverURL }));
  };
}

// Pieces of the end-to-end run: a real chat-server on a free port with its own data dir,
// a static server for the built demo (with the dev token route), REST seeding with a
// server token, and small wait helpers that poll conditions (never fixed sleeps).

import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { devTokenMiddleware, readDevApp, serverToken } from '../dev-token.mjs';

/** Starts `chat-server --addr 127.0.0.1:0` in a fresh data dir; resolves once it listens. */
export async function startChatServer(bin) {
  if (!existsSync(bin)) throw new Error(`chat-server binary not found at ${bin} (cargo build -p chat-server)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'web-e2e-data-'));
  // Hermetic: the memory store and no Redis, whatever the calling shell exports
  // (scripts/test.sh exports DATABASE_URL and REDIS_URL for the Rust tests).
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(bin, ['--addr', '127.0.0.1:0', '--data-dir', dataDir, '--store', 'memory'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat-server did not start:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => {
      output += c.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chat-server exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  await waitReady(url);
  const app = readDevApp(dataDir);
  return { url, dataDir, app, stop: () => child.kill('SIGTERM'), logs: () => output };
}

/** Polls `/health/ready` until the server has finished its start-up (bounded). */
async function waitReady(url) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.ok) return;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`chat-server at ${url} never became ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Serves the built app from `dist` on a free loopback port, plus `/dev-token`. */
export async function serveApp(distDir, { dataDir, serverURL }) {
  const tokens = devTokenMiddleware({ dataDir, serverURL });
  const server = createServer((req, res) => {
    tokens(req, res, () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      let file = normalize(join(distDir, path));
      if (!file.startsWith(distDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(distDir, 'index.html');
      res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      createReadStream(file).pipe(res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** REST calls as the server (server token), for seeding and for checking what was stored. */
export function adminApi(serverURL, app) {
  const token = serverToken(app.api_secret);
  return async function call(method, path, body, query = {}) {
    const params = new URLSearchParams({ api_key: app.api_key, ...query });
    const res = await fetch(`${serverURL}${path}?${params}`, {
      method,
      headers: { Authorization: token, 'Stream-Auth-Type': 'jwt', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** Polls `check` (sync or async) until it returns a truthy value; throws `what` on timeout. */
export async function until(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval, not a synchronisation sleep
  }
}

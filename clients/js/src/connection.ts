/**
 * The user's WebSocket (api-spec/websocket.md): the `/connect` handshake, the first
 * `health.check` frame that names the socket, client health checks, detection of a silent
 * (half-open) socket, and reconnection with exponential backoff and jitter. It knows
 * nothing of channels: the client re-queries them when `onConnected` reports a recovery.
 */

import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { ApiError } from './errors';
import type { ChatEvent, OwnUser, User } from './types';

export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'offline'
  | 'disconnected'
  | 'failed';

/** The part of the browser's WebSocket this module uses (a test double provides it too). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface ConnectionOptions {
  baseURL: string;
  apiKey: string;
  user: User;
  /** Returns the token to connect with; `refresh` is true after the server said it expired. */
  token: (refresh: boolean) => Promise<string>;
  socket: SocketFactory;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffOptions;
  /** How often the client sends its own `health.check`, ms (server idles out at 60 s). */
  pingIntervalMs?: number;
  /** A socket with no inbound frame for this long is treated as dead, ms. */
  staleAfterMs?: number;
  /** How long the handshake may take before the attempt is abandoned, ms. */
  connectTimeoutMs?: number;
  onEvent: (event: ChatEvent) => void;
  onStateChange: (state: ConnectionState) => void;
  /** Each successful handshake; `recovered` is true for every one after the first. */
  onConnected: (info: { connectionId: string; me: OwnUser | undefined; recovered: boolean }) => void;
}

const OPEN = 1;

export class Connection {
  private state: ConnectionState = 'idle';
  private socket: SocketLike | undefined;
  private attempt = 0;
  private connectedOnce = false;
  private retryTimer: unknown;
  private pingTimer: unknown;
  private handshakeTimer: unknown;
  private lastFrameAt = 0;
  private refreshToken = false;
  private online = true;
  private readonly timers: Timers;
  private firstConnect:
    | { resolve: (id: string) => void; reject: (e: unknown) => void }
    | undefined;
  connectionId: string | undefined;

  constructor(private readonly opts: ConnectionOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  getState(): ConnectionState {
    return this.state;
  }

  /** Opens the socket; resolves with the connection id once the handshake succeeds. */
  connect(): Promise<string> {
    if (this.state === 'connected' && this.connectionId) return Promise.resolve(this.connectionId);
    const done = new Promise<string>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
    });
    if (this.online) void this.open();
    else this.setState('offline');
    return done;
  }

  /** Closes for good (no reconnect). */
  disconnect(): void {
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    this.connectionId = undefined;
    if (s) {
      detach(s);
      s.close(1000, 'client disconnect');
    }
    this.setState('disconnected');
    this.firstConnect?.reject(new Error('disconnected'));
    this.firstConnect = undefined;
  }

  /** The browser says the network is gone: drop the socket and wait for `goOnline`. */
  goOffline(): void {
    this.online = false;
    if (this.state === 'disconnected' || this.state === 'failed' || this.state === 'idle') return;
    this.clearTimers();
    const s = this.socket;
    this.socket = undefined;
    this.connectionId = undefined;
    if (s) {
      detach(s);
      s.close(1000, 'offline');
    }
    this.setState('offline');
  }

  /** The network is back: reconnect at once. */
  goOnline(): void {
    this.online = true;
    if (this.state !== 'offline') return;
    this.attempt = 0;
    void this.open();
  }

  /** The socket was reported broken by a caller (e.g. a request timed out). */
  reconnectNow(): void {
    if (this.state !== 'connected') return;
    this.drop('reconnect requested');
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.onStateChange(state);
  }

  private async open(): Promise<void> {
    this.setState(this.connectedOnce ? 'reconnecting' : 'connecting');
    let token: string;
    try {
      token = await this.opts.token(this.refreshToken);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (!this.online || this.state === 'disconnected') return;
    this.refreshToken = false;
    const { user } = this.opts;
    const json = JSON.stringify({ user_id: user.id, user_details: user, server_determines_connection_id: true });
    const base = this.opts.baseURL.replace(/^http/, 'ws').replace(/\/$/, '');
    const url =
      `${base}/connect?api_key=${encodeURIComponent(this.opts.apiKey)}` +
      `&json=${encodeURIComponent(json)}&authorization=${encodeURIComponent(token)}&stream-auth-type=jwt`;
    let socket: SocketLike;
    try {
      socket = this.opts.socket(url);
    } catch (e) {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    let handshakeDone = false;
    this.handshakeTimer = this.timers.setTimeout(() => {
      if (this.socket === socket && !handshakeDone) this.drop('handshake timed out');
    }, this.opts.connectTimeoutMs ?? 10_000);
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = this.timers.now();
      let event: ChatEvent;
      try {
        event = JSON.parse(String(ev.data)) as ChatEvent;
      } catch {
        return; // not ours to interpret; the server only sends JSON
      }
      if (!handshakeDone) {
        handshakeDone = true;
        this.timers.clearTimeout(this.handshakeTimer);
        this.onHandshake(event);
        return;
      }
      this.opts.onEvent(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.drop('closed');
    };
    socket.onerror = () => {
      // A close always follows an error; reconnection is handled there.
    };
  }

  private onHandshake(event: ChatEvent): void {
    if (event.type === 'connection.error') {
      const err = (event.error ?? {}) as { code?: number; message?: string; StatusCode?: number };
      const error = new ApiError(err.message ?? 'connection refused', err.code ?? 0, err.StatusCode ?? 401);
      const s = this.socket;
      this.socket = undefined;
      if (s) detach(s);
      if (error.code === 40 && !this.refreshToken) {
        // Expired token: ask for a fresh one once, then retry.
        this.refreshToken = true;
        this.scheduleRetry();
        return;
      }
      this.fail(error);
      return;
    }
    if (event.type !== 'health.check' || typeof event.connection_id !== 'string') {
      this.drop('unexpected first frame');
      return;
    }
    const recovered = this.connectedOnce;
    this.connectedOnce = true;
    this.attempt = 0;
    this.connectionId = event.connection_id;
    this.setState('connected');
    this.schedulePing();
    this.opts.onConnected({ connectionId: event.connection_id, me: event.me, recovered });
    this.firstConnect?.resolve(event.connection_id);
    this.firstConnect = undefined;
  }

  private schedulePing(): void {
    const interval = this.opts.pingIntervalMs ?? 25_000;
    const staleAfter = this.opts.staleAfterMs ?? 2 * interval + 10_000;
    this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = this.timers.setTimeout(() => {
      const s = this.socket;
      if (!s || this.state !== 'connected') return;
      if (this.timers.now() - this.lastFrameAt > staleAfter) {
        this.drop('no frames: socket is stale');
        return;
      }
      if (s.readyState === OPEN) s.send(JSON.stringify({ type: 'health.check' }));
      this.schedulePing();
    }, interval);
  }

  /** The socket is gone unexpectedly: reconnect unless offline or closed for good. */
  private drop(_reason: string): void {
    const s = this.socket;
    this.socket = undefined;
    this.connectionId = undefined;
    this.timers.clearTimeout(this.pingTimer);
    this.timers.clearTimeout(this.handshakeTimer);
    if (s) {
      detach(s);
      try {
        s.close(4000, _reason);
      } catch {
        // already closed
      }
    }
    if (this.state === 'disconnected' || this.state === 'failed') return;
    if (!this.online) {
      this.setState('offline');
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.setState(this.connectedOnce ? 'reconnecting' : 'connecting');
    const delay = backoffDelay(this.attempt, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random);
    this.attempt += 1;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => {
      if (this.state === 'disconnected' || this.state === 'failed' || !this.online) return;
      void this.open();
    }, delay);
  }

  private fail(error: unknown): void {
    this.clearTimers();
    this.setState('failed');
    this.firstConnect?.reject(error);
    this.firstConnect = undefined;
  }

  private clearTimers(): void {
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.pingTimer);
    this.timers.clearTimeout(this.handshakeTimer);
  }
}

function detach(s: SocketLike): void {
  s.onopen = null;
  s.onmessage = null;
  s.onclose = null;
  s.onerror = null;
}

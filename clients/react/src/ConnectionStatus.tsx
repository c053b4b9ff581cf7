/** A small line telling the user when the connection is not live, and what is queued. */

import { useClientState } from './hooks';

const LABEL: Record<string, string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  offline: 'offline: messages will be sent when you are back online',
  disconnected: 'disconnected',
  failed: 'could not connect',
};

export function ConnectionStatus() {
  const { connection, pendingSends } = useClientState();
  return (
    <div className={`ce-connection ce-connection-${connection}`} data-testid="connection-status" data-state={connection}>
      {LABEL[connection] ?? connection}
      {pendingSends > 0 ? ` · ${pendingSends} waiting to send` : ''}
    </div>
  );
}

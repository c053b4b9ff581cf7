import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { devTokenMiddleware } from './dev-token.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
// Where `cargo run -p chat-server` (run from the repo root) keeps the dev app, and where it listens.
const dataDir = process.env.CHAT_DATA_DIR ?? resolve(repoRoot, '.chat-data');
const serverURL = process.env.CHAT_SERVER_URL ?? 'http://127.0.0.1:3030';

function devToken(): Plugin {
  return {
    name: 'chat-dev-token',
    configureServer(server) {
      server.middlewares.use(devTokenMiddleware({ dataDir, serverURL }));
    },
    configurePreviewServer(server) {
      server.middlewares.use(devTokenMiddleware({ dataDir, serverURL }));
    },
  };
}

export default defineConfig({
  plugins: [react(), devToken()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { sourcemap: true },
});

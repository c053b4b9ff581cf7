#!/usr/bin/env bash
# The web client's tests (clients/js, clients/react, examples/web-chat): installs what is
# missing (Debian's chromium, the npm packages of package-lock.json), then typechecks, runs
# the vitest unit tests, builds the demo and the chat-server, and runs the end-to-end test
# in headless Chromium. Any failure fails the script; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH

need_node="20.19.0"
echo "== web client (scripts/test-web.sh)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-web: node and npm are needed (Node >= $need_node)" >&2
  exit 1
fi
if ! node -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)"; then
  echo "test-web: Node $(node --version) is too old; Vite 8 needs >= $need_node" >&2
  exit 1
fi

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "== installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
"$CHROMIUM_PATH" --version

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== typecheck"
npm run typecheck
echo "== vitest"
npm test
echo "== build the demo"
npm run build
echo "== build chat-server"
# `cargo test --no-run` shares its artifacts with the nextest run of scripts/test.sh, so
# there it is a no-op; it leaves the binary at target/debug/chat-server.
cargo test --workspace --no-run --quiet
export CHAT_SERVER_BIN="${CHAT_SERVER_BIN:-$PWD/target/debug/chat-server}"
echo "== end-to-end (headless chromium)"
npm run e2e

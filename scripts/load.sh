#!/usr/bin/env bash
# Builds the release binaries and runs one load scenario of issue 5 (or all of them):
#
#   scripts/load.sh <scenario> [chat-load options…]    e.g. scripts/load.sh fanout-10k-max
#   scripts/load.sh all [chat-load options…]
#
# Scenarios: fanout-10k-1hz fanout-10k-max fanout-100-max postgres-1k idle-memory send-api
# reconnect-storm. Each finishes on its own in about two minutes, peers included (Redis,
# socket.io and NATS, each started privately on a free loopback port). Options such as
# `--peers none`, `--clients N` or `--duration S` go to `chat-load scenario`; see
# `target/release/chat-load scenario --help`. The JSON result lands in
# target/chat-load/<scenario>.json.
set -euo pipefail
cd "$(dirname "$0")/.."

scenarios=(fanout-10k-1hz fanout-10k-max fanout-100-max postgres-1k idle-memory send-api reconnect-storm)
if [ $# -lt 1 ]; then
  echo "usage: scripts/load.sh <scenario|all> [options]; scenarios: ${scenarios[*]}" >&2
  exit 2
fi
name=$1
shift

cargo build --release -p chat-server -p chat-load
if [ ! -d benches/peers/socketio/node_modules/socket.io ]; then
  (cd benches/peers/socketio && npm ci --no-audit --no-fund)
fi

if [ "$name" = all ]; then
  status=0
  for s in "${scenarios[@]}"; do
    target/release/chat-load scenario "$s" "$@" || status=$?
  done
  exit "$status"
fi
exec target/release/chat-load scenario "$name" "$@"

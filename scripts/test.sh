#!/usr/bin/env bash
# The one test command (README, CI): services up, then format, lints, every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo nextest"
cargo nextest run --workspace --no-fail-fast
echo "== doc tests"
cargo test --workspace --doc --quiet
scripts/test-web.sh # web client: typecheck, vitest, headless-Chromium end-to-end

#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379) answer.
# They normally run already; on a fresh Debian machine this installs them from Debian's
# packages and starts them. Fails loudly when it cannot: tests that need them must never
# skip silently.
set -euo pipefail

reachable() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_postgres() {
  if reachable 5432; then return; fi
  echo "ensure-services: PostgreSQL not reachable on 127.0.0.1:5432; starting it" >&2
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Tests connect as postgres over loopback without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 50); do reachable 5432 && return; sleep 0.2; done
  echo "ensure-services: PostgreSQL did not come up" >&2
  exit 1
}

ensure_redis() {
  # The cluster tests start private redis-servers of their own: the binary must exist
  # even when a Redis already answers on 6379.
  command -v redis-server >/dev/null || apt_install redis-server
  if reachable 6379; then return; fi
  echo "ensure-services: Redis not reachable on 127.0.0.1:6379; starting it" >&2
  command -v redis-server >/dev/null || apt_install redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 50); do reachable 6379 && return; sleep 0.2; done
  echo "ensure-services: Redis did not come up" >&2
  exit 1
}

ensure_postgres
ensure_redis
echo "ensure-services: PostgreSQL and Redis are up"

#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis on free loopback ports, for tests and benchmarks.
#   source scripts/services.sh; services_start; ...; services_stop
# exports VUTF_TEST_PG_URL (an admin URL; tests create their own databases) and
# VUTF_TEST_REDIS_URL.

PG_BIN=/usr/lib/postgresql/15/bin

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

services_start() {
  SERVICES_DIR=$(mktemp -d /tmp/vutf-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  mkdir -p "$SERVICES_DIR/pg" && chown postgres:postgres "$SERVICES_DIR/pg"
  local pg_port redis_port
  pg_port=$(free_port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$SERVICES_DIR/pg/data" -U postgres -A trust \
    --no-sync >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -w -l "$SERVICES_DIR/pg/log" \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $SERVICES_DIR/pg -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export VUTF_TEST_PG_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
  export VUTF_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export SERVICES_DIR
  echo "PostgreSQL on $pg_port, Redis on $redis_port"
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate stop \
    >/dev/null 2>&1 || true
  [ -f "$SERVICES_DIR/redis.pid" ] && kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$SERVICES_DIR"
}

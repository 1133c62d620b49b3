#!/bin/sh
# Make sure Redis and PostgreSQL answer on 127.0.0.1 (the test suite and `make run` need
# Redis; the tests need PostgreSQL). Starts them if installed, installs them with apt if not.
# `ensure-services.sh redis`: Redis only (`make run`: its job store is SQLite).
set -e
need_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null && need_apt; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /tmp/fragrance-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/fragrance-redis --logfile /tmp/fragrance-redis/redis.log
  echo "started redis-server on 127.0.0.1:6379"
fi

[ "$1" = redis ] && exit 0

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql >/dev/null 2>&1 && need_apt; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
    echo "started PostgreSQL"
  else
    echo "PostgreSQL is not running and could not be installed; tests that need it will fail" >&2
  fi
fi

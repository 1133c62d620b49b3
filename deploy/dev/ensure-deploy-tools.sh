#!/bin/sh
# Install the command-line tools that tests/deploy need and Python packages do not bring:
# Debian's docker-compose (v1, for `docker-compose config`; no Docker engine needed). As root
# with apt only; elsewhere it says what is missing and exits 1.
set -e
if command -v docker-compose >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "docker-compose is missing: apt-get install docker-compose (as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq docker-compose >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; }
echo "installed docker-compose"

#!/bin/sh
# Install the command-line tools that tests need and Python packages do not bring, from
# Debian's archive (as root with apt only; elsewhere it says what is missing and exits 1):
#   docker-compose  `docker-compose config` in tests/deploy (no Docker engine needed)
#   promtool        `promtool check rules` and the Prometheus server of the dashboard test
#                   (Debian's `prometheus` package has both)
#   chromium        the headless browser of the Flower and dashboard tests
# Usage: ensure-deploy-tools.sh [TOOL ...]   (default: docker-compose)
set -e
[ $# -gt 0 ] || set -- docker-compose
missing=""
for tool in "$@"; do
  case "$tool" in
    docker-compose) command -v docker-compose >/dev/null || missing="$missing docker-compose" ;;
    promtool) command -v promtool >/dev/null || missing="$missing prometheus" ;;
    chromium) command -v chromium >/dev/null || missing="$missing chromium" ;;
    *) echo "unknown tool: $tool" >&2; exit 2 ;;
  esac
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing:$missing (apt-get install$missing, as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
# the package's service must not run a Prometheus of its own in the background
if command -v invoke-rc.d >/dev/null && [ -x /etc/init.d/prometheus ]; then
  invoke-rc.d prometheus stop >/dev/null 2>&1 || true
fi
echo "installed$missing"

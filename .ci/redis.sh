#!/usr/bin/env bash
# Installs Debian's redis-server if it is missing. The redislimit module's
# tests start their own redis-server from PATH, on a free loopback port,
# and stop it again (or use the one at REDIS_ADDR); with CI=true they fail
# instead of skipping when there is none.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  redis-server --version
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "redis.sh: redis-server is missing; install it as root: apt-get install -y redis-server" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server >/dev/null
# The package may start a system service; the tests start their own.
if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
redis-server --version

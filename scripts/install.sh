#!/usr/bin/env bash
# Installs what Trove needs on a Debian machine (engines, the OpenStack clients used by the
# compatibility tests, build tools), then the npm dependencies, then builds. Safe to repeat.
# --with-test-tools adds what only the test suite uses.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  mariadb-server mariadb-backup galera-4 postgresql redis-server   # the engines Trove runs
  python3-troveclient python3-openstackclient                      # the real OpenStack clients
  zstd curl jq ca-certificates util-linux e2fsprogs iproute2       # tools the service and README use
  nftables                                                         # the packet filter that enforces access
  python3 make g++                                                 # builds the SQLite driver
)
# Only the test suite needs these: a real S3-compatible server (OpenStack Swift with its s3api
# middleware, and memcached for its tokens) to test the S3 object store against, zsh to load
# the client's zsh completion script, and OpenStack's own Trove tests (tempest with the Trove
# plugin, psycopg2 for its PostgreSQL checks, python3-subunit to read its results); tempest's
# own response schemas also check the compute view.
if [ "${1:-}" = "--with-test-tools" ]; then
  PACKAGES+=(swift swift-proxy swift-object swift-container swift-account python3-swift memcached zsh)
  PACKAGES+=(tempest python3-tempest trove-tempest-plugin python3-psycopg2 python3-subunit)
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  # Package scripts must not start system-wide database services: Trove runs its own.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

#!/usr/bin/env bash
# The whole test suite: installs what the tests need (engines, OpenStack clients), builds,
# and runs every test file with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --with-test-tools
mapfile -t files < <(find dist -name '*.test.js' | sort)
exec node --test --test-concurrency=2 --test-reporter=spec "${files[@]}"

#!/usr/bin/env bash
# The whole test suite, quick checks first. What needs only Node runs before anything is installed:
# the npm dependencies, `npm run check` (format, lint, types, unused code, layers) and the unit
# tests. Then scripts/install.sh brings the engines, the OpenStack clients and the test servers, and
# the integration tests run: dist/integration/ and the server halves of the files that have one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "test.sh: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

installed=""
if ! npm ci --no-audit --no-fund --loglevel=error; then
  # Without a prebuilt SQLite driver for this machine, npm builds it, with the tools install.sh brings.
  echo "test.sh: npm ci failed; installing the system packages first" >&2
  bash scripts/install.sh --with-test-tools
  installed=1
fi
npm run --silent check
npm run --silent test:unit -- --test-reporter=spec

[ -n "$installed" ] || bash scripts/install.sh --with-test-tools
mapfile -t mixed < <(grep -l 'test-support/test-scope.js' $(find dist -name '*.test.js' -not -path 'dist/integration/*') | sort)
mapfile -t files < <(find dist/integration -name '*.test.js' | sort)
TROVE_TESTS=integration exec node --test --test-concurrency=2 --test-reporter=spec "${mixed[@]}" "${files[@]}"

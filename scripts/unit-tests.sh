#!/usr/bin/env bash
# The unit tests, on what `npm run build` made: every test file outside dist/integration/, without the
# halves that start a real server (src/test-support/test-scope.ts). No root, no engine, no network
# beyond loopback. Arguments go to Node's test runner (e.g. --test-reporter=spec).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find dist -name '*.test.js' -not -path 'dist/integration/*' | sort)
TROVE_TESTS=unit exec node --test --test-concurrency=2 "$@" "${files[@]}"

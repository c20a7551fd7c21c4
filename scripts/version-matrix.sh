#!/usr/bin/env bash
# The whole version-compatibility matrix (the default suite runs a short form of it): every built release
# (Redis 2.8.24, 4.0.14, 6.0.20, 7.4.1, Valkey 8.0.1) as source into Debian's 7.0.15 and 7.0.15 into each, plus
# 7.4 -> 2.8, Valkey -> 4.0, 2.8 -> Valkey and 2.8 -> 2.8. Builds the servers from ../shared/redis-src on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
COMPAT_MATRIX=full node --test --test-timeout=3600000 dist/test/compat/compat.test.js "$@"

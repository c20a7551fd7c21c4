#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$(bash scripts/install-pulumi.sh):$PATH"
# Test files run one file per process; two at a time fits the 2-core machines.
node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=600000 $(find dist/test -name '*.test.js' | sort) "$@"

#!/usr/bin/env bash
# Builds the Pulumi CLI from its published Go modules (the CLI cannot be downloaded here) and caches it.
# Uses a `pulumi` already on PATH when there is one. Prints the bin directory to put on PATH.
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-3.248.0}"   # matches the @pulumi/pulumi npm version pinned in package.json
CACHE="${PULUMI_CACHE_DIR:-$HOME/.cache/pulumi-redis-sync/pulumi-v$PULUMI_VERSION}"
BIN="$CACHE/bin"
if command -v pulumi >/dev/null 2>&1 && [ -z "${PULUMI_FORCE_BUILD:-}" ]; then
  dirname "$(command -v pulumi)"; exit 0
fi
if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-resource-pulumi-nodejs" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE/src" "$BIN"
cd "$CACHE/src"
MODS="$(go env GOMODCACHE)"
cat > go.mod <<GOMOD
module pulumi-cli-build

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
GOMOD
cat > tools.go <<'GOSRC'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GOSRC
go mod download "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" >&2
# pkg's own go.mod replaces some dependencies; a wrapper module must repeat them (all but the local ../sdk one).
grep -E '^replace ' "$MODS/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v$PULUMI_VERSION.mod" \
  | grep -v '=> \.\./sdk' >> go.mod || true
go mod tidy >&2
go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
# The dynamic-provider plugin is a tiny shell script that ships inside the sdk module.
go mod download "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
install -m 0755 "$MODS/github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/"
echo "$BIN"

#!/usr/bin/env bash
# Builds the Pulumi CLI from its published Go modules (the CLI cannot be downloaded here) and caches it.
# Uses a `pulumi` already on PATH when there is one. Prints the bin directory to put on PATH.
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-3.248.0}"   # matches the @pulumi/pulumi npm version pinned in package.json
CACHE="${PULUMI_CACHE_DIR:-$HOME/.cache/pulumi-redis-sync/pulumi-v$PULUMI_VERSION}"
BIN="$CACHE/bin"
if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1 && [ -z "${PULUMI_FORCE_BUILD:-}" ]; then
  dirname "$(command -v pulumi)"; exit 0
fi
# The Node.js language host has its own Go module since v3.69, and the module proxy does not serve that module; until
# v3.68 it lived inside sdk/v3, so it is built from there. Its gRPC protocol is stable across these versions.
LANGHOST_VERSION="${PULUMI_LANGHOST_VERSION:-3.68.0}"
if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-resource-pulumi-nodejs" ] && [ -x "$BIN/pulumi-language-nodejs" ]; then echo "$BIN"; exit 0; fi
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
mkdir -p "$CACHE/langhost"
cd "$CACHE/langhost"
cat > go.mod <<GOMOD
module pulumi-langhost-build

go 1.21

require github.com/pulumi/pulumi/sdk/v3 v$LANGHOST_VERSION
GOMOD
cat > tools.go <<'GOSRC'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
GOSRC
go mod tidy >&2
go build -trimpath -o "$BIN/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs >&2
echo "$BIN"

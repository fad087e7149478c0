#!/usr/bin/env bash
# The main job on the bundled example project: an upgrade test of examples/astro-project
# (Astro Runtime 11.3.0, Airflow 2.9.1) to the newest Airflow 3 runtime (3.3-8). Writes the report to
# examples/astro-project/upgrade-test-<current>--<new>/ and prints where it is.
# Extra arguments go to `skyhop upgrade-test` (e.g. --runtime-version 12.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cargo build --release --quiet -p skyhop
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(--runtime-version 3.3-8); fi
set +e
./target/release/skyhop upgrade-test --project examples/astro-project "${args[@]}"
code=$?
set -e
# 0 = safe, 1 = the report found things to change (expected for this example); others are failures.
if [ "$code" -le 1 ]; then exit 0; fi
exit "$code"

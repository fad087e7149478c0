#!/bin/sh
# Timings of skyhop-env: resolving both environments of an upgrade concurrently (lock cache
# empty, uv's index cache warm), the same again (lock cache), and installing a cached venv.
# Run it twice to get warm-index figures on a fresh machine.
set -eu
cd "$(dirname "$0")/../.."
exec cargo run --quiet -p skyhop-env --example bench

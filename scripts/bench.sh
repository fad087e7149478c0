#!/usr/bin/env bash
# Every speed target of the issues, measured (not timed tests). Prints the figures that go
# into BENCHMARKS.md. Runs each crate's own benchmark, then times `skyhop upgrade-test` on the
# bundled example project warm (environments cached) and cold (empty skyhop and uv caches).
#
# Usage: bash scripts/bench.sh [--no-cold]   (scripts/realprojects.sh runs upgrade-test on every
# real project in ../shared/realprojects, cold and warm; scripts/fix-bench.sh compares
# `upgrade --fix` with ruff's AIR fixes on them; scripts/db-bench.sh times the metadata-DB
# migration at DB_BENCH_SIZES task instances, default 10000,100000,1000000: about 25 min)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cold=1
[ "${1:-}" = "--no-cold" ] && cold=0

echo "## machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
echo
echo "## environments (issue 3): crates/skyhop-env/bench.sh"
bash crates/skyhop-env/bench.sh
echo
echo "## static check vs ruff (issue 4): crates/skyhop-check/bench.sh"
bash crates/skyhop-check/bench.sh
echo
echo "## parse test (issue 5): crates/skyhop-parse/bench.sh 3.1.3 3"
bash crates/skyhop-parse/bench.sh 3.1.3 3
echo
echo "## upgrade-test on examples/astro-project (issue 6)"
cargo build --release -q -p skyhop
SKYHOP=$PWD/target/release/skyhop
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
run() {
  local start end
  start=$(date +%s.%N)
  "$SKYHOP" upgrade-test --project examples/astro-project --runtime-version 3.1-12 --output "$OUT" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 1))"
}
run >/dev/null # make sure the default cache is warm
for i in 1 2 3; do echo "warm run $i: $(run) s"; done
if [ "$cold" = 1 ]; then
  export SKYHOP_CACHE_DIR=$OUT/cold-skyhop UV_CACHE_DIR=$OUT/cold-uv
  echo "cold run (empty skyhop and uv caches): $(run) s"
fi
echo
echo "## real projects (issue 10): scripts/realprojects.sh"
if [ "$cold" = 1 ]; then
  bash scripts/realprojects.sh --cold
else
  bash scripts/realprojects.sh
fi
echo
echo "## upgrade --fix vs ruff's AIR fixes (issue 12): scripts/fix-bench.sh"
bash scripts/fix-bench.sh
echo
echo "## metadata-DB migration vs size (issue 13): scripts/db-bench.sh"
bash scripts/db-bench.sh "${DB_BENCH_SIZES:-10000,100000,1000000}"

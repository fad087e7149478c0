#!/usr/bin/env bash
# The real-project benchmark (issue 10): `skyhop upgrade-test --runtime-version 3.1-12` on every
# project in ../shared/realprojects (read-only test data beside the repository), warm (caches
# filled first) and, with --cold, cold (empty skyhop and uv caches, every wheel downloaded) for
# the projects named after --cold (default: all). Prints one row per project: exit code, wall
# time, and how its DAG files are classified. The projects are never written: reports go to a
# temporary folder.
#
# Usage: bash scripts/realprojects.sh [--cold [PROJECT...]]
# Environment: SKYHOP_BENCH_TARGET (default 3.1-12) the target Runtime version,
# SKYHOP_BENCH_OUT a folder that keeps the reports and console output (default: removed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
REAL=${SKYHOP_REALPROJECTS:-$PWD/../shared/realprojects}
TARGET=${SKYHOP_BENCH_TARGET:-3.1-12}
[ -d "$REAL" ] || { echo "realprojects.sh: $REAL not found (set SKYHOP_REALPROJECTS)" >&2; exit 2; }
cargo build --release -q -p skyhop
SKYHOP=$PWD/target/release/skyhop
if [ -n "${SKYHOP_BENCH_OUT:-}" ]; then
  # keep the reports (and each run's console output) there, to read them afterwards
  OUT=$SKYHOP_BENCH_OUT
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

projects=$(cd "$REAL" && ls -d */ | tr -d /)
run() { # project label
  local p=$1 label=$2 start end code
  start=$(date +%s.%N)
  set +e
  "$SKYHOP" upgrade-test --project "$REAL/$p" --runtime-version "$TARGET" \
    --output "$OUT/$label/$p" >"$OUT/$p.$label.out" 2>"$OUT/$p.$label.err"
  code=$?
  set -e
  end=$(date +%s.%N)
  python3 - "$OUT/$label/$p" "$p" "$label" "$code" "$start" "$end" <<'EOF'
import collections, glob, json, sys
folder, p, label, code, start, end = sys.argv[1:]
reports = glob.glob(f"{folder}/upgrade-test-*/report.json")
counts = "no report"
if reports:
    r = json.load(open(reports[0]))
    c = collections.Counter(f.get("status", "?") for f in r["parse_files"])
    counts = ", ".join(f"{v} {k}" for k, v in sorted(c.items())) + f"; verdict {r['verdict']}"
print(f"| {p} | {label} | {code} | {float(end) - float(start):.1f} s | {counts} |")
EOF
}

echo "## upgrade-test --runtime-version $TARGET on $(echo "$projects" | wc -w) real projects ($(nproc) cores)"
echo
echo "| project | run | exit | time | DAG files |"
echo "|---|---|---|---|---|"
if [ "${1:-}" = "--cold" ]; then
  shift
  cold=${*:-$projects}
  for p in $cold; do
    # a cold cache of its own for each project: nothing shared with an earlier run
    SKYHOP_CACHE_DIR=$OUT/cold-skyhop-$p UV_CACHE_DIR=$OUT/cold-uv-$p run "$p" cold
    rm -rf "$OUT/cold-skyhop-$p" "$OUT/cold-uv-$p" # gigabytes each
  done
fi
for p in $projects; do run "$p" fill >/dev/null; done
for p in $projects; do run "$p" warm; done

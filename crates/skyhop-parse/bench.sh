#!/usr/bin/env bash
# Measures `skyhop-parse` on a generated 50-file project (realistic DAGs: classic operators,
# TaskFlow, task groups, dynamic mapping, parse-time Variable reads) under real Airflow.
#
# Usage: crates/skyhop-parse/bench.sh [airflow-version] [repeats]
# Prints one JSON line per run, then a summary: time per file after the one Airflow import
# (target <= 0.5 s) and the speed-up from 1 to 2 jobs (target >= 1.7x), with min/median/max.
set -euo pipefail
VERSION="${1:-3.1.3}"
REPEATS="${2:-3}"
cd "$(dirname "$0")/../.."
PROJECT="$(mktemp -d)"
trap 'rm -rf "$PROJECT"' EXIT
mkdir -p "$PROJECT/dags" "$PROJECT/include"

python3 crates/skyhop-parse/bench/gen_project.py "$PROJECT"

cargo build -q -p skyhop-parse --example parse_bench
BENCH=target/debug/examples/parse_bench
OUT="$(mktemp)"
EMPTY="$(mktemp -d)"; mkdir -p "$EMPTY/dags"
# Baseline: the same run with no DAG file (Airflow import only), for CPU time per file.
"$BENCH" "$VERSION" "$EMPTY" 1 | sed 's/"jobs": 1/"jobs": 0/' | tee -a "$OUT"
rm -rf "$EMPTY"
for r in $(seq "$REPEATS"); do
  for jobs in 1 2; do
    "$BENCH" "$VERSION" "$PROJECT" "$jobs" | tee -a "$OUT"
  done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
with_files = [r for r in runs if r["jobs"] > 0]
one = [r for r in runs if r["jobs"] == 1]
two = [r for r in runs if r["jobs"] == 2]
def spread(xs):
    return "min %.3f / median %.3f / max %.3f" % (min(xs), statistics.median(xs), max(xs))
print("Airflow %s, %d files, failed %d" % (one[0]["airflow"], one[0]["files"], one[0]["failed"]))
print("Airflow import (s):               " + spread([r["import_s"] for r in runs]))
print("1 job: wall time per file (s):    " + spread([r["wall_per_file_s"] for r in one]) + "   target <= 0.5")
print("2 jobs: wall time per file (s):   " + spread([r["wall_per_file_s"] for r in two]))
print("import of one file in child (ms): " + spread([r["mean_file_import_ms"] for r in with_files]))
base = [r for r in runs if r["jobs"] == 0][0]["cpu_s"]
n = one[0]["files"]
print("CPU per file, 1 job (s):          " + spread([(r["cpu_s"] - base) / n for r in one]))
print("CPU per file, 2 jobs (s):         " + spread([(r["cpu_s"] - base) / n for r in two]))
speedups = [a["parse_wall_s"] / b["parse_wall_s"] for a, b in zip(one, two)]
print("speed-up 1 -> 2 jobs (x):         " + spread(speedups) + "   target >= 1.7")
print("load average now: %s (the speed-up needs 2 idle cores)" % open("/proc/loadavg").read().split()[0])
PY
rm -f "$OUT"

#!/usr/bin/env bash
# db-bench: Airflow metadata-DB migration time vs size, 2.10.5 -> 3.1.3 on PostgreSQL.
#
#   bash scripts/db-bench.sh [SIZES] [OUT_DIR]     (default: 10000,100000,1000000 and a temp dir)
#
# For each size (task instances): a fresh database on a throwaway PostgreSQL server (Debian's
# package, started in a temporary directory), seeded under Airflow 2.10.5 (`skyhop db seed`'s
# library, 20 task instances per DAG run, with retries, XComs, logs, rendered fields, datasets),
# then rehearsed to 3.1.3 (`skyhop db rehearse`'s library: copy, `airflow db migrate` timed
# per Alembic revision). Then per-revision least-squares lines fitted on every size but the
# largest predict the largest, and the prediction error is printed. Prints a Markdown table
# (also in OUT_DIR/bench.md, with each rehearsal's JSON and fit.json).
# The real test `bench_migration_time` in crates/skyhop-dbmigrate/tests/real_airflow.rs does the work.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-10000,100000,1000000}
out=${2:-$(mktemp -d)}
bash scripts/bootstrap.sh --postgres >/dev/null
echo "db-bench: sizes $sizes, results in $out" >&2
SKYHOP_BENCH_SIZES=$sizes SKYHOP_BENCH_OUT=$out \
  cargo test -q -p skyhop-dbmigrate --test real_airflow bench_migration_time -- \
  --ignored --exact --nocapture --test-threads 1 2>&1 | grep -E '^(BENCH|TIMING|  step)' >&2 || true
if [ -f "$out/bench.md" ]; then
  cat "$out/bench.md"
else
  echo "db-bench: no results (see the test output above)" >&2
  exit 1
fi

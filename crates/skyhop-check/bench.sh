#!/usr/bin/env bash
# Benchmark: `skyhop-check` vs `ruff check --select AIR --preview` on the same corpus of
# several thousand DAG files (Airflow's own example DAGs of 2.10.5 and 3.1.3, copied N times).
#
# Usage: crates/skyhop-check/bench.sh [COPIES]   (default 63 → ~8,100 files)
# Needs: cargo, python3 (to install ruff into a temp dir), the skyhop cache's Airflow venvs and
# example DAGs (created by `cargo test -p skyhop-check --test real_airflow`), or set
# SKYHOP_BENCH_PYTHON=/path/to/airflow-3.1.3/bin/python and SKYHOP_BENCH_DAGS="dir1 dir2".
set -euo pipefail
COPIES=${1:-63}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/skyhop-check-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CACHE=${SKYHOP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/skyhop}

find_python() {
  # The plain Airflow 3.1.3 venv (airflow_venv): the one with the fewest providers, as other
  # 3.1.3 environments in the cache (Runtime images) carry many.
  for py in "$CACHE"/venvs/*/bin/python; do
    if [ "$("$py" -c 'import importlib.metadata as m; print(m.version("apache-airflow"))' 2>/dev/null)" = "3.1.3" ]; then
      echo "$("$py" -c 'import importlib.metadata as m; print(sum(1 for d in m.distributions() if (d.metadata["Name"] or "").lower().startswith("apache-airflow-providers")))' 2>/dev/null) $py"
    fi
  done | sort -n | head -1 | cut -d' ' -f2
}
PY=${SKYHOP_BENCH_PYTHON:-$(find_python)}
DAGS=${SKYHOP_BENCH_DAGS:-"$CACHE/example-dags/2.10.5 $CACHE/example-dags/3.1.3"}
[ -n "$PY" ] || { echo "no Airflow 3.1.3 venv found; set SKYHOP_BENCH_PYTHON" >&2; exit 2; }

echo "== corpus: $COPIES copies of: $DAGS"
for i in $(seq 1 "$COPIES"); do
  for d in $DAGS; do
    mkdir -p "$WORK/corpus/c$i/$(basename "$d")"
    cp -r "$d"/. "$WORK/corpus/c$i/$(basename "$d")/"
  done
done
NFILES=$(find "$WORK/corpus" -name '*.py' | wc -l)
NLINES=$(find "$WORK/corpus" -name '*.py' -print0 | xargs -0 cat | wc -l)
echo "   $NFILES Python files, $NLINES lines"

echo "== installing ruff into $WORK/ruff"
python3 -m pip install --quiet --target "$WORK/ruff" ruff >/dev/null 2>&1
RUFF="$WORK/ruff/bin/ruff"
echo "   $("$RUFF" --version)"

echo "== building skyhop-check (release)"
(cd "$ROOT" && cargo build --quiet --release -p skyhop-check --example check)
CHECK="$ROOT/target/release/examples/check"
echo "== indexing the target once (cached): $PY"
"$CHECK" --python "$PY" 3.1.3 "$HERE/tests/fixtures/rules" >/dev/null 2>&1 || true

best() { sort -n | head -1; }
run_ruff() {
  local s e
  s=$(date +%s.%N)
  "$RUFF" check --select AIR --preview --no-cache --output-format concise --exit-zero "$WORK/corpus" >"$WORK/ruff.out" || true
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
run_check() {
  local s e
  s=$(date +%s.%N)
  "$CHECK" --python "$PY" 3.1.3 "$WORK/corpus" >"$WORK/check.out" 2>"$WORK/check.err" || true
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
RUNS=${SKYHOP_BENCH_RUNS:-5}
echo "== timing (best of $RUNS, alternating runs, wall clock, whole process)"
: >"$WORK/r.times"; : >"$WORK/c.times"
for _ in $(seq 1 "$RUNS"); do
  run_ruff >>"$WORK/r.times"
  run_check >>"$WORK/c.times"
done
R=$(best <"$WORK/r.times")
C=$(best <"$WORK/c.times")
echo "   ruff check --select AIR --preview: ${R} s  ($(grep -cE ':[0-9]+:[0-9]+: ' "$WORK/ruff.out" || true) findings)"
echo "   skyhop-check (3.1.3 index):        ${C} s  ($(grep -cE '^[^ ].*: SKY' "$WORK/check.out" || true) findings)"
echo "   ratio ruff / skyhop-check: $(echo "scale=2; $R / $C" | bc)x"
echo "   all runs (s): ruff $(tr '\n' ' ' <"$WORK/r.times")| skyhop $(tr '\n' ' ' <"$WORK/c.times")"
echo "== files with findings"
echo "   ruff:   $(grep -oE '^[^:]+\.py' "$WORK/ruff.out" | sort -u | wc -l)"
echo "   skyhop: $(grep -oE '^[^: ]+\.py' "$WORK/check.out" | sort -u | wc -l) (errors in $(grep -E ' error: ' "$WORK/check.out" | grep -oE '^[^:]+\.py' | sort -u | wc -l))"

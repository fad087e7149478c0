#!/usr/bin/env bash
# Benchmark: `skyhop-check` vs `ruff check --select AIR --preview` on the same corpus of
# several thousand DAG files (Airflow's own example DAGs of 2.10.5 and 3.1.3, copied N times).
#
# Usage: crates/skyhop-check/bench.sh [COPIES]   (default 63 → ~8,100 files)
# SKYHOP_BENCH_CALLGRIND=1 also counts both processes' instructions with valgrind (slow: minutes).
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
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# One run: "wall user+sys" of the whole process (bash's `time`: the child's CPU time).
timed() {
  local out=$1; shift
  local TIMEFORMAT='%R %U %S'
  { time "$@" >"$out" 2>/dev/null || true; } 2>&1 | awk '{printf "%s %.3f\n", $1, $2 + $3}'
}
run_ruff() {
  timed "$WORK/ruff.out" "$RUFF" check --select AIR --preview --no-cache --output-format concise --exit-zero "$WORK/corpus"
}
run_check() {
  timed "$WORK/check.out" "$CHECK" --python "$PY" 3.1.3 "$WORK/corpus"
}
RUNS=${SKYHOP_BENCH_RUNS:-5}
echo "== timing ($RUNS alternating runs, whole process; load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
: >"$WORK/r.times"; : >"$WORK/c.times"
for _ in $(seq 1 "$RUNS"); do
  run_ruff >>"$WORK/r.times"
  run_check >>"$WORK/c.times"
done
R=$(cut -d' ' -f1 "$WORK/r.times" | best)
C=$(cut -d' ' -f1 "$WORK/c.times" | best)
RC=$(cut -d' ' -f2 "$WORK/r.times" | median)
CC=$(cut -d' ' -f2 "$WORK/c.times" | median)
echo "   ruff check --select AIR --preview: best wall ${R} s, median CPU ${RC} s  ($(grep -cE ':[0-9]+:[0-9]+: ' "$WORK/ruff.out" || true) findings)"
echo "   skyhop-check (3.1.3 index):        best wall ${C} s, median CPU ${CC} s  ($(grep -cE '^[^ ].*: SKY' "$WORK/check.out" || true) findings)"
echo "   ratio ruff / skyhop-check: wall $(echo "scale=2; $R / $C" | bc)x, CPU $(echo "scale=2; $RC / $CC" | bc)x"
echo "   all runs (wall s): ruff $(cut -d' ' -f1 "$WORK/r.times" | tr '\n' ' ')| skyhop $(cut -d' ' -f1 "$WORK/c.times" | tr '\n' ' ')"
echo "   all runs (CPU s):  ruff $(cut -d' ' -f2 "$WORK/r.times" | tr '\n' ' ')| skyhop $(cut -d' ' -f2 "$WORK/c.times" | tr '\n' ' ')"
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "== files with findings"
echo "   ruff:   $(grep -oE '^[^:]+\.py' "$WORK/ruff.out" | sort -u | wc -l)"
echo "   skyhop: $(grep -oE '^[^: ]+\.py' "$WORK/check.out" | sort -u | wc -l) (errors in $(grep -E ' error: ' "$WORK/check.out" | grep -oE '^[^:]+\.py' | sort -u | wc -l))"
if [ -n "${SKYHOP_BENCH_CALLGRIND:-}" ] && command -v valgrind >/dev/null; then
  # Instructions of the whole process: independent of the machine's load.
  instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  RI=$(instructions "$RUFF" check --select AIR --preview --no-cache --output-format concise --exit-zero "$WORK/corpus")
  CI=$(instructions "$CHECK" --python "$PY" 3.1.3 "$WORK/corpus")
  echo "== instructions (valgrind callgrind, whole process)"
  echo "   ruff: $((RI / 1000000)) M, skyhop-check: $((CI / 1000000)) M, ratio $(echo "scale=3; $RI / $CI" | bc)x"
fi

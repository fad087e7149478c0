#!/usr/bin/env bash
# Coverage of ruff's AIR rule fixtures: for every AIR301 / AIR302 / AIR311 / AIR312 diagnostic
# ruff expects, does skyhop-check report a finding on the same line, or on the import that
# brings the name in? Prints per-code coverage and the missed diagnostics.
#
# Usage: crates/skyhop-check/ruff-fixtures.sh FIXTURES_DIR [SNAPSHOTS_DIR]
#   FIXTURES_DIR   a copy of ruff's crates/ruff_linter/resources/test/fixtures/airflow/
#   SNAPSHOTS_DIR  a copy of ruff's crates/ruff_linter/src/rules/airflow/snapshots/; without it
#                  the expected diagnostics are ruff's own output on the fixtures ($RUFF, or a
#                  ruff installed into a temp dir with pip).
# The target is a real Airflow 3.1.3 environment (SKYHOP_BENCH_PYTHON, or the skyhop cache's
# venv, as in bench.sh). The fixtures are ruff's (MIT): keep them outside this repository.
set -euo pipefail
FIXTURES=$(cd "${1:?usage: ruff-fixtures.sh FIXTURES_DIR [SNAPSHOTS_DIR]}" && pwd)
SNAPSHOTS=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/skyhop-ruff-fixtures.XXXXXX")
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
[ -n "$PY" ] || { echo "no Airflow 3.1.3 venv found; set SKYHOP_BENCH_PYTHON" >&2; exit 2; }
echo "target environment: $PY"

# Only the fixtures of the codes measured.
mkdir -p "$WORK/fixtures"
cp "$FIXTURES"/AIR30[12]*.py "$FIXTURES"/AIR31[12]*.py "$WORK/fixtures/" 2>/dev/null || true

if [ -n "$SNAPSHOTS" ]; then
  EXPECTED_FROM="snapshots $SNAPSHOTS"
  python3 - "$SNAPSHOTS" "$WORK/fixtures" >"$WORK/expected.tsv" <<'PY'
import os, re, sys
snaps, fixtures = sys.argv[1], sys.argv[2]
# `AIR301 [*] message` (older insta snapshots) or `[AIR301]: message` / `error[AIR301]: ...`.
head = re.compile(r"^(?:[a-z]*\[)?(AIR3(?:01|02|11|12))\b")
loc = re.compile(r"^\s*-->\s*(\S+?\.py):(\d+):(\d+)")
old = re.compile(r"^(\S+?\.py):(\d+):(\d+):\s*(AIR3(?:01|02|11|12))\b")
for name in sorted(os.listdir(snaps)):
    if not name.endswith(".snap"):
        continue
    code = None
    for line in open(os.path.join(snaps, name), encoding="utf-8"):
        m = old.match(line)
        if m:
            print(f"{os.path.basename(m[1])}\t{m[2]}\t{m[4]}")
            continue
        m = head.match(line)
        if m:
            code = m[1]
            continue
        m = loc.match(line)
        if m and code:
            print(f"{os.path.basename(m[1])}\t{m[2]}\t{code}")
            code = None
PY
else
  RUFF=${RUFF:-}
  if [ -z "$RUFF" ]; then
    python3 -m pip install --quiet --target "$WORK/ruff" ruff >/dev/null 2>&1
    RUFF="$WORK/ruff/bin/ruff"
  fi
  EXPECTED_FROM="$("$RUFF" --version) on the fixtures"
  (cd "$WORK/fixtures" && "$RUFF" check --select AIR301,AIR302,AIR311,AIR312 --preview --no-cache \
    --output-format json --exit-zero .) >"$WORK/ruff.json"
  python3 - "$WORK/ruff.json" >"$WORK/expected.tsv" <<'PY'
import json, os, sys
for d in json.load(open(sys.argv[1])):
    print(f"{os.path.basename(d['filename'])}\t{d['location']['row']}\t{d['code']}")
PY
fi

(cd "$ROOT" && cargo build --quiet --release -p skyhop-check --example check)
"$ROOT/target/release/examples/check" --python "$PY" 3.1.3 "$WORK/fixtures" --json \
  >"$WORK/skyhop.json" 2>"$WORK/skyhop.err" || true

python3 - "$WORK/expected.tsv" "$WORK/skyhop.json" "$WORK/fixtures" "$EXPECTED_FROM" <<'PY'
import ast, collections, json, os, sys
expected_path, skyhop_path, fixtures, source = sys.argv[1:5]
expected = [l.rstrip("\n").split("\t") for l in open(expected_path) if l.strip()]
findings = collections.defaultdict(set)
for f in json.load(open(skyhop_path)):
    findings[os.path.basename(f["path"])].add(f["line"])

def import_lines(name):
    """name -> lines of the import statements that bind it (and of the names' own lines)."""
    try:
        tree = ast.parse(open(os.path.join(fixtures, name), encoding="utf-8").read())
    except (OSError, SyntaxError):
        return {}
    out = collections.defaultdict(set)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines = {node.lineno, node.end_lineno or node.lineno}
            for a in node.names:
                bound = (a.asname or a.name).split(".")[0]
                out[bound] |= lines | {getattr(a, "lineno", node.lineno)}
    return out

def names_on(name, line):
    try:
        src = open(os.path.join(fixtures, name), encoding="utf-8").read().splitlines()[line - 1]
    except (OSError, IndexError):
        return set()
    import re
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", src))

cache = {}
per_code = collections.Counter()
hit_code = collections.Counter()
missed = []
try_diagnostics = []
for name, line, code in expected:
    line = int(line)
    if name.endswith("_try.py"):
        # Whether these fail depends on the target: judged by hand (see below).
        try_diagnostics.append((name, line, code))
        continue
    per_code[code] += 1
    hit = line in findings[name]
    if not hit:
        imports = cache.setdefault(name, import_lines(name))
        for n in names_on(name, line):
            if imports.get(n, set()) & findings[name]:
                hit = True
                break
    if hit:
        hit_code[code] += 1
    else:
        missed.append((name, line, code))
print(f"expected diagnostics: {source} (outside the *_try.py files)")
total = sum(per_code.values())
for code in sorted(per_code):
    print(f"{code}: {hit_code[code]} / {per_code[code]}")
print(f"all: {sum(hit_code.values())} / {total}")
try_files = sorted({n for n, _, _ in expected if n.endswith("_try.py")} | {n for n in os.listdir(fixtures) if n.endswith("_try.py")})
for n in try_files:
    ruff_lines = sorted({l for f, l, _ in try_diagnostics if f == n})
    print(f"{n}: ruff on lines {ruff_lines or 'none'}, skyhop on lines {sorted(findings[n]) or 'none'}")
if missed:
    print("missed:")
    for name, line, code in missed:
        src = open(os.path.join(fixtures, name), encoding="utf-8").read().splitlines()[line - 1].strip()
        print(f"  {name}:{line} {code}  {src}")
PY

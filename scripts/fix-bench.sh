#!/usr/bin/env bash
# fix-bench: how many DAG files that fail under an Airflow 3 target import after
# `skyhop upgrade --fix`, side by side with ruff's AIR fixes (`--fix --unsafe-fixes`), on fresh
# copies of the real projects (read-only; every run works in a temporary directory).
#
#   bash scripts/fix-bench.sh [PROJECTS_DIR]      (default: ../shared/realprojects)
#
# For each project: the parse test under the target (`skyhop parse`) of the untouched copy,
# of a copy after `skyhop upgrade --plan --fix --yes` (hop by hop when the catalog requires it)
# and of a copy after `ruff check --select AIR --preview --fix --unsafe-fixes`. A file counts
# as fixed when it failed on the untouched copy and imports after; a regression when it
# imported and fails after. Env: SKYHOP (binary, default target/debug/skyhop), TARGET
# (Runtime, default 3.1-12), AIRFLOW_TARGET (for apache/airflow projects, default 3.1.7).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
projects=${1:-$here/../shared/realprojects}
skyhop=${SKYHOP:-$here/target/debug/skyhop}
target=${TARGET:-3.1-12}
airflow_target=${AIRFLOW_TARGET:-3.1.7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$skyhop" ] || (cd "$here" && cargo build -p skyhop)

python3 -m venv "$work/ruff" >/dev/null && "$work/ruff/bin/python" -m pip install -q ruff >/dev/null
ruff="$work/ruff/bin/ruff"
echo "ruff $("$ruff" --version | cut -d' ' -f2), skyhop $("$skyhop" --version | cut -d' ' -f2), target Runtime $target" >&2

results="$work/results.jsonl"
for p in "$projects"/*/; do
  name=$(basename "$p")
  [ -f "$p/Dockerfile" ] && [ -d "$p/dags" ] || continue
  if grep -q 'apache/airflow' "$p/Dockerfile"; then
    version=(--airflow-version "$airflow_target")
  else
    version=(--runtime-version "$target")
  fi
  for kind in orig skyhop ruff; do cp -r "$p" "$work/$name-$kind"; done
  t0=$(date +%s)
  "$skyhop" upgrade --project "$work/$name-skyhop" "${version[@]}" --plan --fix --yes \
    >"$work/$name-fix.out" 2>"$work/$name-fix.err"
  fix_rc=$?
  t1=$(date +%s)
  (cd "$work/$name-ruff" && "$ruff" check --select AIR --preview --fix --unsafe-fixes \
    --no-cache --exit-zero -q . >/dev/null 2>&1)
  for kind in orig skyhop ruff; do
    "$skyhop" parse --project "$work/$name-$kind" "${version[@]}" --format json \
      >"$work/$name-$kind.json" 2>"$work/$name-$kind.err"
  done
  # the untouched copy under its current version: failures that are not the upgrade's
  cp -r "$p" "$work/$name-current"
  "$skyhop" parse --project "$work/$name-current" --format json \
    >"$work/$name-current.json" 2>"$work/$name-current.err"
  python3 - "$name" "$work" "$fix_rc" "$((t1 - t0))" >>"$results" <<'EOF'
import json, sys
name, work, rc, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def failing(kind):
    try:
        r = json.load(open(f"{work}/{name}-{kind}.json"))
    except Exception:
        return None, None
    return {f["path"] for f in r["files"] if not f["ok"]}, {f["path"] for f in r["files"]}
f0, all0 = failing("orig")
fc, _ = failing("current")
out = {"project": name, "fix_rc": rc, "fix_seconds": secs}
if f0 is None:
    out["error"] = open(f"{work}/{name}-orig.err").read().strip().splitlines()[-1:]
else:
    out["files"] = len(all0)
    out["failing"] = len(f0)
    # failing under the target but importing today (or not parsed today: not in dags/ then)
    already = (fc or set()) & f0
    out["already"] = len(already)
    for kind in ("skyhop", "ruff"):
        f1, all1 = failing(kind)
        if f1 is None:
            out[kind] = None
            continue
        ok_before = all0 - f0
        out[kind] = {
            "fixed": len(f0 - f1 - (f0 - all1)),
            "fixed_new": len((f0 - already) - f1 - (f0 - all1)),
            "still": len(f0 & f1),
            "regressions": sorted((ok_before & f1)),
        }
print(json.dumps(out))
EOF
  tail -1 "$results" >&2
done

python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| project | DAG files | fail under target | of which fail today already | import after skyhop --fix (upgrade breaks) | import after ruff AIR fixes (upgrade breaks) | regressions (skyhop / ruff) | fix time |")
print("|---|---|---|---|---|---|---|---|")
tot = {"files": 0, "failing": 0, "already": 0, "skyhop": 0, "ruff": 0, "sn": 0, "rn": 0, "rs": 0, "rr": 0}
for r in rows:
    if "error" in r:
        print(f"| {r['project']} | – | parse test did not run: {' '.join(r['error'])} | | | | | |")
        continue
    s, u = r.get("skyhop") or {}, r.get("ruff") or {}
    tot["files"] += r["files"]; tot["failing"] += r["failing"]; tot["already"] += r["already"]
    tot["skyhop"] += s.get("fixed", 0); tot["ruff"] += u.get("fixed", 0)
    tot["sn"] += s.get("fixed_new", 0); tot["rn"] += u.get("fixed_new", 0)
    tot["rs"] += len(s.get("regressions", [])); tot["rr"] += len(u.get("regressions", []))
    print(f"| {r['project']} | {r['files']} | {r['failing']} | {r['already']} | {s.get('fixed','–')} ({s.get('fixed_new','–')}) | {u.get('fixed','–')} ({u.get('fixed_new','–')}) | {len(s.get('regressions',[]))} / {len(u.get('regressions',[]))} | {r['fix_seconds']} s |")
pct = lambda n, d: f"{100*n/d:.0f} %" if d else "–"
new = tot["failing"] - tot["already"]
print(f"| **all** | {tot['files']} | {tot['failing']} | {tot['already']} | **{tot['skyhop']} ({pct(tot['skyhop'], tot['failing'])}); upgrade breaks {tot['sn']}/{new} ({pct(tot['sn'], new)})** | **{tot['ruff']} ({pct(tot['ruff'], tot['failing'])}); upgrade breaks {tot['rn']}/{new} ({pct(tot['rn'], new)})** | {tot['rs']} / {tot['rr']} | |")
EOF

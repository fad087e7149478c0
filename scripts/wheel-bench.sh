#!/usr/bin/env bash
# Wheel size and install time of skyhop's release wheel beside ruff's and uv's (BENCHMARKS.md,
# "Python wheel"). Downloads the ruff and uv wheels once (pip download, manylinux x86_64), then
# installs each wheel N times into a fresh virtual environment from local files only (no
# network in the timing): with pip, and with uv. Prints a Markdown table.
#   bash scripts/wheel-bench.sh [--build] [RUNS]
# --build first builds the release wheel (maturin --release --zig, manylinux2014: several
# minutes); otherwise the newest target/wheels/skyhop-*.whl is used.
set -euo pipefail
cd "$(dirname "$0")/.."

build=0
runs=5
for arg in "$@"; do
  case "$arg" in
    --build) build=1 ;;
    *) runs="$arg" ;;
  esac
done
ruff_version=0.17.6
uv_version="$(sed -n 's/^pub const UV_VERSION: &str = "\(.*\)";/\1/p' crates/skyhop-env/src/uv.rs)"

work="${WHEEL_BENCH_DIR:-target/wheel-bench}"
mkdir -p "$work/wheels"
tools="$work/tools"
if [ ! -x "$tools/bin/maturin" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 ziglang==0.17.0
fi
if [ "$build" = 1 ]; then
  PATH="$tools/bin:$PATH" "$tools/bin/maturin" build --release --zig --compatibility manylinux2014
fi
skyhop_whl="$(ls -t target/wheels/skyhop-*manylinux*.whl 2>/dev/null | head -n 1 || true)"
[ -n "$skyhop_whl" ] || { echo "no target/wheels/skyhop-*.whl: run with --build" >&2; exit 2; }
cp "$skyhop_whl" "$work/wheels/"
for spec in "ruff==$ruff_version" "uv==$uv_version"; do
  "$tools/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --platform manylinux_2_17_x86_64 --python-version 3.11 -d "$work/wheels" "$spec"
done
uv="$(ls "$work"/wheels/uv-"$uv_version"-*.whl)"
uv_bin="$work/uv-bin"
if [ ! -x "$uv_bin/bin/uv" ]; then
  "$tools/bin/pip" install --quiet --disable-pip-version-check --no-deps --target "$uv_bin" "$uv"
fi

# median of the runs, in seconds
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }

# install_time INSTALLER WHEEL [--no-deps]: the median wall time of N installs into fresh venvs.
install_time() {
  local installer="$1" wheel="$2" deps="${3:-}"
  for _ in $(seq "$runs"); do
    local venv start end; venv="$(mktemp -d)"
    if [ "$installer" = pip ]; then
      python3 -m venv "$venv/v"
      start=$(date +%s.%N)
      "$venv/v/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
        --find-links "$work/wheels" $deps "$wheel" >/dev/null
    else
      python3 -m venv --without-pip "$venv/v"
      start=$(date +%s.%N)
      "$uv_bin/bin/uv" pip install --quiet --no-index --find-links "$work/wheels" \
        --python "$venv/v/bin/python" $deps "$wheel" >/dev/null
    fi
    end=$(date +%s.%N)
    echo "$end - $start" | bc
    rm -rf "$venv"
  done | median
}

size() { du -k --apparent-size "$1" | awk '{printf "%.1f MiB", $1/1024}'; }
unpacked() { python3 -c 'import sys,zipfile; print("%.1f MiB" % (sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist())/2**20))' "$1"; }

ruff="$(ls "$work"/wheels/ruff-"$ruff_version"-*.whl)"
skyhop_local="$work/wheels/$(basename "$skyhop_whl")"
echo "runs: $runs (median), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| wheel | size | unpacked | pip install | uv pip install |"
echo "|---|---|---|---|---|"
for w in "$skyhop_local" "$ruff" "$uv"; do
  echo "| $(basename "$w") (alone, --no-deps) | $(size "$w") | $(unpacked "$w") | $(install_time pip "$w" --no-deps) s | $(install_time uv "$w" --no-deps) s |"
done
echo "| $(basename "$skyhop_local") with its uv dependency | | | $(install_time pip "$skyhop_local") s | $(install_time uv "$skyhop_local") s |"

#!/usr/bin/env bash
# Installs what skyhop's demo and tests need on a fresh Debian machine, and nothing twice:
#   - a Python 3 with pip (skyhop installs its pinned uv with `python3 -m pip`),
#   - PostgreSQL (deployment tests start a throwaway server), with --postgres,
#   - Chromium (the HTML report is checked in a real headless browser) and chromedriver
#     (`skyhop ui`'s pages are driven through WebDriver), with --chromium.
# Safe to run again; skips what is already there. Needs root (or sudo) only to install packages.
set -euo pipefail

want_pg=0
want_chromium=0
for arg in "$@"; do
  case "$arg" in
    --postgres) want_pg=1 ;;
    --chromium) want_chromium=1 ;;
    --all) want_pg=1; want_chromium=1 ;;
    *) echo "bootstrap.sh: unknown option $arg (use --postgres, --chromium, --all)" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap.sh: apt-get not found; install $* yourself" >&2
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  echo "bootstrap: installing python3 and pip"
  apt_install python3 python3-pip python3-venv
fi

if [ "$want_pg" = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "bootstrap: installing postgresql"
  apt_install postgresql
fi

if [ "$want_chromium" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "bootstrap: installing chromium"
  apt_install chromium
fi

if [ "$want_chromium" = 1 ] && ! command -v chromedriver >/dev/null 2>&1; then
  echo "bootstrap: installing chromium-driver"
  apt_install chromium-driver
fi
exit 0

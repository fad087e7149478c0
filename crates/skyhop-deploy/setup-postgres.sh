#!/bin/sh
# Installs the PostgreSQL server and client tools from Debian when they are absent, for the
# real PostgreSQL test of skyhop-deploy (tests/real_airflow.rs starts its own server on a free
# port in a temporary directory; nothing is started here). Run as root (or with sudo).
set -eu
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "PostgreSQL is installed: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql
# Debian's package may start a cluster of its own; the tests do not need it.
$SUDO service postgresql stop >/dev/null 2>&1 || true
echo "PostgreSQL installed: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"

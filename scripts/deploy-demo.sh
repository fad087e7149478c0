#!/usr/bin/env bash
# Deploy, upgrade, deploy again and roll back the bundled example project, on this machine,
# with no Docker: the deploy journey of README.md, end to end. Works in a temporary copy of
# examples/astro-project, so the repository is not changed. Takes several minutes (two real
# Airflow environments, real Airflow processes, a metadata DB downgrade).
#
# Usage: bash scripts/deploy-demo.sh [PORT]      (default 8085)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-8085}
bash scripts/bootstrap.sh
cargo build --release -q -p skyhop
SKYHOP=$PWD/target/release/skyhop
WORK=$(mktemp -d)
cp -r examples/astro-project "$WORK/project"
rm -rf "$WORK/project"/upgrade-test-*
cd "$WORK/project"
trap '"$SKYHOP" deployment stop prod >/dev/null 2>&1 || true' EXIT
version() {
  python3 - "$PORT" <<'PY'
import base64, json, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/api/v1/version")
req.add_header("Authorization", "Basic " + base64.b64encode(b"admin:admin").decode())
print(json.load(urllib.request.urlopen(req, timeout=10))["version"])
PY
}
set -x
"$SKYHOP" deployment create prod --port "$PORT"
"$SKYHOP" deployment env set prod GREETING=hello
"$SKYHOP" deployment env set prod API_TOKEN=s3cr3t --secret
"$SKYHOP" deploy --description "first deploy on Runtime 11.3.0"
version
"$SKYHOP" upgrade-test --runtime-version 13.11.0 --output "$WORK" || true
# Fix what the upgrade test reported: http provider 5 removed SimpleHttpOperator,
# and the newer openlineage provider needs requests>=2.32.4.
# postgres provider 6 removed PostgresOperator (use common.sql's SQLExecuteQueryOperator),
sed -i 's/SimpleHttpOperator/HttpOperator/g' dags/customer_sync.py
sed -i -e 's/from airflow.providers.postgres.operators.postgres import PostgresOperator/from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator/' \
  -e 's/PostgresOperator(/SQLExecuteQueryOperator(/' -e 's/postgres_conn_id=/conn_id=/' dags/daily_sales_report.py
sed -i 's/^requests==2.32.3$/requests==2.32.5/' requirements.txt
"$SKYHOP" upgrade --runtime-version 13.11.0 --yes
"$SKYHOP" deploy --description "Runtime 13.11.0"
version
"$SKYHOP" deploy history
"$SKYHOP" rollback 1 --description "back to 11.3.0" --yes
version
"$SKYHOP" deploy history
"$SKYHOP" deployment env list prod
"$SKYHOP" deployment status prod

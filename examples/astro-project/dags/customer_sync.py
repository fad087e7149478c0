"""Sync customers from the CRM API into the warehouse every hour."""

import json
from datetime import datetime

from airflow import DAG
from airflow.models import Variable
from airflow.providers.http.operators.http import SimpleHttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sensors.external_task import ExternalTaskSensor
from airflow.utils.trigger_rule import TriggerRule

CRM_ENDPOINT = Variable.get("crm_endpoint", default_var="/v1/customers")

with DAG(
    "customer_sync",
    start_date=datetime(2024, 3, 1),
    schedule_interval="@hourly",
    max_active_runs=1,
    concurrency=4,
) as dag:
    wait_for_sales = ExternalTaskSensor(
        task_id="wait_for_sales",
        external_dag_id="daily_sales_report",
        external_task_id="publish",
        mode="reschedule",
    )

    api_up = HttpSensor(task_id="crm_api_up", http_conn_id="crm", endpoint="health")

    fetch = SimpleHttpOperator(
        task_id="fetch_customers",
        http_conn_id="crm",
        endpoint=CRM_ENDPOINT,
        method="GET",
        response_filter=lambda r: json.loads(r.text),
        trigger_rule=TriggerRule.ALL_SUCCESS,
    )

    wait_for_sales >> api_up >> fetch

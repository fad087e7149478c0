"""Daily sales report: classic operators, the Airflow 2.x way."""

from datetime import timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.dummy import DummyOperator
from airflow.operators.python import PythonOperator
from airflow.providers.postgres.operators.postgres import PostgresOperator
from airflow.utils.dates import days_ago

from include.sales import summarize

default_args = {
    "owner": "data-eng",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "sla": timedelta(hours=2),
}

with DAG(
    dag_id="daily_sales_report",
    default_args=default_args,
    schedule_interval="0 6 * * *",
    start_date=days_ago(2),
    catchup=False,
    tags=["sales"],
) as dag:
    start = DummyOperator(task_id="start")

    extract = PostgresOperator(
        task_id="extract_sales",
        postgres_conn_id="sales_db",
        sql="sql/extract_sales.sql",
        params={"day": "{{ ds }}"},
    )

    def _summarize(execution_date, **kwargs):
        print(f"Summarizing sales of {execution_date}")
        return summarize(kwargs["next_ds"])

    transform = PythonOperator(
        task_id="summarize",
        python_callable=_summarize,
        provide_context=True,
    )

    publish = BashOperator(
        task_id="publish",
        bash_command="echo 'report for {{ execution_date }} until {{ next_ds }}'",
    )

    start >> extract >> transform >> publish

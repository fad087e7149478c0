"""Weekly digest sent to Slack, using a dataset produced by the astronauts DAG."""

import pendulum

from airflow.datasets import Dataset
from airflow.decorators import dag, task
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator

astronauts = Dataset("current_astronauts")


@dag(
    schedule=[astronauts],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def weekly_digest():
    @task
    def build_message(**context) -> str:
        return f"Astronauts updated for {context['ds']}"

    SlackWebhookOperator(
        task_id="post",
        slack_webhook_conn_id="slack_default",
        message="{{ ti.xcom_pull(task_ids='build_message') }}",
    ).set_upstream(build_message())


weekly_digest()

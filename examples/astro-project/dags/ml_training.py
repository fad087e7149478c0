"""Weekly model training on Kubernetes, with a branch for the data check."""

from datetime import datetime

from airflow.decorators import dag, task
from airflow.operators.empty import EmptyOperator
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.utils.edgemodifier import Label


@dag(schedule_interval="@weekly", start_date=datetime(2024, 1, 1), catchup=False, tags=["ml"])
def ml_training():
    @task.branch
    def enough_data(**context):
        rows = context["dag_run"].conf.get("rows", 1000)
        return "train" if rows > 100 else "skip"

    train = KubernetesPodOperator(
        task_id="train",
        name="train-model",
        namespace="ml",
        image="ghcr.io/acme/trainer:1.4",
        cmds=["python", "train.py"],
        arguments=["--date", "{{ ds }}", "--prev", "{{ prev_ds }}"],
        get_logs=True,
    )
    skip = EmptyOperator(task_id="skip")

    enough_data() >> Label("enough rows") >> train
    enough_data() >> Label("too few") >> skip


ml_training()

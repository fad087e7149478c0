"""Writes a realistic 50-DAG project (classic operators, TaskFlow, task groups, dynamic
mapping, a parse-time Variable read) into the directory given as argument; used by bench.sh."""
import os, sys, textwrap
root = sys.argv[1]
os.makedirs(f"{root}/dags", exist_ok=True)
os.makedirs(f"{root}/include", exist_ok=True)
open(f"{root}/include/__init__.py", "w").close()
open(f"{root}/include/common.py", "w").write(textwrap.dedent('''
    from datetime import timedelta
    DEFAULT_ARGS = {"owner": "data-eng", "retries": 2, "retry_delay": timedelta(minutes=5)}
    TABLES = [f"table_{i}" for i in range(12)]
'''))
classic = '''
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator, BranchPythonOperator
from airflow.utils.task_group import TaskGroup

from include.common import DEFAULT_ARGS, TABLES

ENV = Variable.get("environment", default_var="dev")


def extract(table, **context):
    return f"{{table}}-{{context['ds']}}"


def choose(**context):
    return "load.load_table_0"


with DAG(
    dag_id="classic_pipeline_{n}",
    start_date=datetime(2024, 1, 1),
    schedule="@daily",
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["generated", ENV],
) as dag:
    start = EmptyOperator(task_id="start")
    branch = BranchPythonOperator(task_id="branch", python_callable=choose)
    with TaskGroup("extract") as extract_group:
        extracts = [
            PythonOperator(task_id=f"extract_{{t}}", python_callable=extract, op_args=[t])
            for t in TABLES
        ]
    with TaskGroup("load") as load_group:
        loads = [
            BashOperator(task_id=f"load_table_{{i}}", bash_command=f"echo load {{t}} {{{{{{{{ ds }}}}}}}}")
            for i, t in enumerate(TABLES)
        ]
    end = EmptyOperator(task_id="end", trigger_rule="none_failed")
    start >> extract_group >> branch >> load_group >> end
'''
taskflow = '''
from datetime import datetime

from airflow.decorators import dag, task, task_group

from include.common import TABLES


@dag(dag_id="taskflow_pipeline_{n}", start_date=datetime(2024, 1, 1), schedule=None, catchup=False, tags=["generated"])
def pipeline():
    @task
    def list_files() -> list[str]:
        return [f"s3://bucket/{{t}}.csv" for t in TABLES]

    @task
    def process(path: str) -> int:
        return len(path)

    @task
    def total(sizes) -> int:
        return sum(sizes)

    @task_group
    def quality():
        @task
        def check_rows():
            return True

        @task
        def check_nulls():
            return True

        check_rows() >> check_nulls()

    sizes = process.expand(path=list_files())
    total(sizes) >> quality()


pipeline()
'''
for n in range(50):
    text = (classic if n % 2 == 0 else taskflow).format(n=n)
    open(f"{root}/dags/dag_{n:02d}.py", "w").write(text)

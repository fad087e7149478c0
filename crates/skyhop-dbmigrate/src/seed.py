"""skyhop's history seeder, run with the Python of an Airflow 2.7-2.11 environment.

    python seed.py seed OUT DAG_RUNS TASK_INSTANCES

Fills the database in AIRFLOW__DATABASE__SQL_ALCHEMY_CONN with realistic history through
Airflow's own models (their SQLAlchemy tables, so column types and defaults are Airflow's):
DAGs, DAG runs, task instances with retries (earlier tries in task_instance_history), XComs,
audit log rows, rendered template fields, task failures, datasets and dataset events. An empty
database is first created with Airflow's own `upgradedb`; a database at another Alembic
revision than this Airflow's head is refused (exit 2). Writes the row counts as JSON in OUT.
"""

import datetime
import json
import random
import sys

BATCH = 5000


def main(out, n_runs, n_tis):
    from sqlalchemy import func, inspect, select

    from airflow import settings
    from airflow.models import DagModel, DagRun, Log, RenderedTaskInstanceFields, TaskInstance, XCom
    from airflow.utils import db

    try:
        from airflow.models.taskinstancehistory import TaskInstanceHistory
    except ImportError:  # Airflow < 2.10
        TaskInstanceHistory = None
    try:
        from airflow.models.taskfail import TaskFail
    except ImportError:
        TaskFail = None
    from airflow.models.dataset import DatasetEvent, DatasetModel

    engine = settings.engine
    script_head = db._get_script_object().get_current_head()
    tables = inspect(engine).get_table_names()
    if "alembic_version" not in tables:
        db.upgradedb()
    with engine.connect() as conn:
        current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    if current != script_head:
        print(
            f"the database is at Alembic revision {current}, not this Airflow's {script_head}: "
            "seed an empty database or one of this Airflow version",
            file=sys.stderr,
        )
        return 2

    rnd = random.Random(13)
    n_runs = max(1, n_runs)
    n_dags = max(1, min(50, n_runs // 10 or 1))
    per_run = max(1, n_tis // n_runs)
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    counts = {}

    def insert(conn, model, rows):
        table = model.__table__
        cols = set(table.c.keys())
        rows = [{k: v for k, v in r.items() if k in cols} for r in rows]
        for i in range(0, len(rows), BATCH):
            conn.execute(table.insert(), rows[i : i + BATCH])
        counts[table.name] = counts.get(table.name, 0) + len(rows)

    from airflow.models.tasklog import LogTemplate

    with engine.connect() as conn:
        log_template_id = conn.execute(select(func.max(LogTemplate.id))).scalar()
        offset = conn.execute(select(func.max(DagRun.id))).scalar() or 0
        have_dags = set(conn.execute(select(DagModel.dag_id)).scalars())
        have_datasets = conn.execute(select(func.count(DatasetModel.id))).scalar()

    with engine.begin() as conn:
        insert(
            conn,
            DagModel,
            [
                {
                    "dag_id": f"seed_dag_{d}",
                    "is_paused": False,
                    "is_active": True,
                    "fileloc": f"/dags/seed_dag_{d}.py",
                    "max_active_tasks": 16,
                    "max_active_runs": 16,
                    "max_consecutive_failed_dag_runs": 0,
                    "has_task_concurrency_limits": False,
                    "has_import_errors": False,
                    "timetable_description": "At 00:00",
                }
                for d in range(n_dags)
                if f"seed_dag_{d}" not in have_dags
            ],
        )
        if not have_datasets:
            insert(
                conn,
                DatasetModel,
                [
                    {"uri": f"s3://seed-bucket/dataset_{i}", "extra": {}, "created_at": base, "updated_at": base}
                    for i in range(10)
                ],
            )
    with engine.connect() as conn:
        dataset_ids = list(conn.execute(select(DatasetModel.id).order_by(DatasetModel.id).limit(10)).scalars())

    remaining = n_tis
    run_id_seq = offset
    for start in range(0, n_runs, 2000):
        chunk = range(start, min(n_runs, start + 2000))
        runs, tis, tih, xcoms, logs, rtifs, fails, events = [], [], [], [], [], [], [], []
        for r in chunk:
            dag_id = f"seed_dag_{r % n_dags}"
            day = base + datetime.timedelta(days=r + offset)
            run_id = f"scheduled__{day.isoformat()}"
            run_id_seq += 1
            failed_run = rnd.random() < 0.05
            runs.append(
                {
                    "id": run_id_seq,
                    "dag_id": dag_id,
                    "run_id": run_id,
                    "run_type": "scheduled",
                    "execution_date": day,
                    "queued_at": day,
                    "start_date": day,
                    "end_date": day + datetime.timedelta(minutes=10),
                    "state": "failed" if failed_run else "success",
                    "external_trigger": False,
                    "conf": {},
                    "data_interval_start": day - datetime.timedelta(days=1),
                    "data_interval_end": day,
                    "last_scheduling_decision": day,
                    "dag_hash": "0" * 32,
                    "log_template_id": log_template_id,
                    "updated_at": day,
                    "clear_number": 0,
                }
            )
            n_here = per_run if r < n_runs - 1 else max(remaining, 0)
            n_here = min(n_here, remaining)
            remaining -= n_here
            for t in range(n_here):
                task_id = f"task_{t}"
                tries = 1 if rnd.random() < 0.9 else rnd.randint(2, 3)
                state = "failed" if failed_run and t == n_here - 1 else "success"
                ti_start = day + datetime.timedelta(seconds=t)
                ti = {
                    "task_id": task_id,
                    "dag_id": dag_id,
                    "run_id": run_id,
                    "map_index": -1,
                    "start_date": ti_start,
                    "end_date": ti_start + datetime.timedelta(seconds=30),
                    "duration": 30.0,
                    "state": state,
                    "try_number": tries,
                    "max_tries": 2,
                    "hostname": "worker-1",
                    "unixname": "astro",
                    "pool": "default_pool",
                    "pool_slots": 1,
                    "queue": "default",
                    "priority_weight": 1,
                    "operator": "PythonOperator",
                    "custom_operator_name": "@task",
                    "queued_dttm": ti_start,
                    "pid": 1000 + t,
                    "executor_config": {},
                    "updated_at": ti_start,
                    "task_display_name": task_id,
                }
                tis.append(ti)
                for earlier in range(1, tries):
                    h = dict(ti, try_number=earlier, state="failed")
                    tih.append(h)
                    if TaskFail is not None:
                        fails.append(
                            {
                                "task_id": task_id,
                                "dag_id": dag_id,
                                "run_id": run_id,
                                "map_index": -1,
                                "start_date": ti_start,
                                "end_date": ti_start,
                                "duration": 1,
                            }
                        )
                if t % 2 == 0:
                    xcoms.append(
                        {
                            "dag_run_id": run_id_seq,
                            "task_id": task_id,
                            "map_index": -1,
                            "key": "return_value",
                            "dag_id": dag_id,
                            "run_id": run_id,
                            "value": json.dumps({"rows": t, "path": f"s3://b/{run_id}/{task_id}"}).encode(),
                            "timestamp": ti_start,
                        }
                    )
                rtifs.append(
                    {
                        "dag_id": dag_id,
                        "task_id": task_id,
                        "run_id": run_id,
                        "map_index": -1,
                        "rendered_fields": {"templates_dict": None, "op_args": [], "op_kwargs": {"ds": day.date().isoformat()}},
                        "k8s_pod_yaml": None,
                    }
                )
                logs.append(
                    {
                        "dttm": ti_start,
                        "dag_id": dag_id,
                        "task_id": task_id,
                        "map_index": -1,
                        "event": "running" if state == "success" else "failed",
                        "execution_date": day,
                        "run_id": run_id,
                        "owner": "airflow",
                        "extra": None,
                        "try_number": tries,
                    }
                )
            if r % 10 == 0 and dataset_ids:
                events.append(
                    {
                        "dataset_id": dataset_ids[(r // 10) % len(dataset_ids)],
                        "extra": {},
                        "source_task_id": "task_0",
                        "source_dag_id": dag_id,
                        "source_run_id": run_id,
                        "source_map_index": -1,
                        "timestamp": day,
                    }
                )
        with engine.begin() as conn:
            insert(conn, DagRun, runs)
            insert(conn, TaskInstance, tis)
            if TaskInstanceHistory is not None:
                insert(conn, TaskInstanceHistory, tih)
            insert(conn, XCom, xcoms)
            insert(conn, RenderedTaskInstanceFields, rtifs)
            insert(conn, Log, logs)
            if TaskFail is not None:
                insert(conn, TaskFail, fails)
            insert(conn, DatasetEvent, events)

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('dag_run', 'id'), (SELECT MAX(id) FROM dag_run))"
            )
    with open(out, "w", encoding="utf-8") as f:
        json.dump(counts, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))

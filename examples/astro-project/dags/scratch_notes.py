# Ignored by .airflowignore: a scratch file that is not a DAG.
from airflow import DAG  # noqa: F401
this is not python

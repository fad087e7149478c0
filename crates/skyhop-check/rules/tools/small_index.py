"""Cut a small test fixture out of a real API index (see tests/fixtures/index-3.1.3-small.json).

Usage: python3 small_index.py FULL_INDEX.json OUT.json
Keeps the modules listed below, every class reachable from their names (with bases) and the
functions they name; distributions, stdlib and the configuration are kept whole.
"""
import json
import sys

KEEP = [
    "airflow", "airflow.operators", "airflow.operators.python", "airflow.operators.bash",
    "airflow.operators.empty", "airflow.utils", "airflow.utils.dates", "airflow.utils.session",
    "airflow.utils.task_group", "airflow.utils.trigger_rule", "airflow.settings", "airflow.sdk",
    "airflow.models", "airflow.models.dag", "airflow.models.baseoperator", "airflow.decorators",
    "airflow.providers", "airflow.providers.standard", "airflow.providers.standard.operators",
    "airflow.providers.standard.operators.bash", "airflow.providers.standard.operators.python",
    "airflow.providers.standard.operators.empty", "airflow.providers.standard.utils",
    "airflow.providers.standard.utils.weekday", "airflow.providers.standard.sensors",
    "airflow.providers.standard.sensors.time_delta", "airflow.sensors", "airflow.sensors.time_delta",
    "airflow.task", "airflow.task.trigger_rule", "airflow.example_dags",
    "airflow.hooks", "airflow.hooks.base", "airflow.sdk.bases", "airflow.sdk.bases.hook",
    "airflow.sdk.bases.operator", "airflow.sdk.definitions", "airflow.sdk.definitions.dag",
    "airflow.plugins_manager", "airflow.models.connection", "airflow.models.variable",
    "airflow.secrets", "airflow.secrets.base_secrets", "airflow.secrets.local_filesystem",
    "airflow.configuration", "airflow.lineage", "airflow.lineage.hook", "airflow.providers_manager",
    "airflow.datasets", "airflow.assets", "airflow.assets.manager", "airflow.sdk.definitions.asset",
    "airflow.utils.helpers", "airflow.utils.decorators", "airflow.models.baseoperator",
    "airflow.sdk.definitions.connection", "airflow.sdk.definitions.variable",
    "airflow.utils.log", "airflow.utils.log.file_task_handler", "airflow.models.dagrun",
    "airflow.sdk.execution_time", "airflow.sdk.execution_time.context",
]

full = json.load(open(sys.argv[1]))
mods = {k: v for k, v in full["modules"].items() if k in KEEP}
classes, todo = {}, []
functions = {}
for m in mods.values():
    for kind in m.get("names", {}).values():
        if kind.startswith("c:"):
            todo.append(kind[2:])
        if kind.startswith("f:") and kind[2:] in full["functions"]:
            functions[kind[2:]] = full["functions"][kind[2:]]
    for s in m.get("served", {}).values():
        if s.get("class"):
            todo.append(s["class"])
        if s.get("function") and s["function"] in full["functions"]:
            functions[s["function"]] = full["functions"][s["function"]]
while todo:
    c = todo.pop()
    if c in classes or c not in full["classes"]:
        continue
    classes[c] = full["classes"][c]
    todo.extend(classes[c]["bases"])
full["modules"], full["classes"], full["functions"] = mods, classes, functions
json.dump(full, open(sys.argv[2], "w"), sort_keys=True, separators=(",", ":"))

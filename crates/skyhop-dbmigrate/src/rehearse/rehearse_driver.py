"""skyhop's migration-rehearsal driver, run with the Python of an Airflow environment.

    python rehearse_driver.py info OUT
        Airflow's Alembic revisions (id, parent, the Airflow version that introduced it) and
        `_REVISION_HEADS_MAP`, as JSON in OUT.
    python rehearse_driver.py cli OUT -- db migrate|downgrade ...
        Runs that `airflow` command in this process and writes, as JSON in OUT, when each Alembic
        revision started (Alembic logs "Running upgrade A -> B, doc" as it starts one), when
        the migration ended, and on failure the error, with its SQL statement when there is one.

The database is the one in AIRFLOW__DATABASE__SQL_ALCHEMY_CONN (a scratch copy).
"""

import json
import logging
import re
import sys
import time
import traceback

STEP = re.compile(r"Running (upgrade|downgrade) (.*?) -> (\S+?)(?:, (.*))?$")


def write(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def info(out):
    from alembic.script import ScriptDirectory

    from airflow.utils import db

    script = ScriptDirectory.from_config(db._get_alembic_config())
    revisions = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        if isinstance(down, (tuple, list)):
            down = ",".join(down)
        revisions.append(
            {
                "revision": rev.revision,
                "down_revision": down,
                "airflow_version": getattr(rev.module, "airflow_version", None),
                "doc": (rev.doc or "").strip(),
            }
        )
    write(
        out,
        {
            "heads_map": dict(getattr(db, "_REVISION_HEADS_MAP", {})),
            "head": script.get_current_head(),
            "revisions": revisions,
        },
    )


class Steps(logging.Handler):
    def __init__(self, t0):
        super().__init__(logging.INFO)
        self.t0 = t0
        self.steps = []

    def emit(self, record):
        try:
            m = STEP.match(record.getMessage())
        except Exception:
            return
        if m:
            self.steps.append(
                {
                    "direction": m.group(1),
                    "from": m.group(2).strip() or None,
                    "to": m.group(3),
                    "doc": (m.group(4) or "").strip(),
                    "start": time.monotonic() - self.t0,
                }
            )


def statement_of(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        stmt = getattr(exc, "statement", None)
        if stmt:
            return str(stmt)
        exc = exc.__cause__ or exc.__context__
    return None


def cli(out, args):
    t0 = time.monotonic()
    import airflow  # noqa: F401  (configures logging first; our handler goes on after it)
    import alembic.command

    handler = Steps(t0)
    log = logging.getLogger("alembic.runtime.migration")
    log.disabled = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    result = {"steps": handler.steps, "ok": True, "error": None, "alembic_end": None}

    def timed(fn):
        def wrapper(*a, **kw):
            try:
                return fn(*a, **kw)
            finally:
                result["alembic_end"] = time.monotonic() - t0

        return wrapper

    alembic.command.upgrade = timed(alembic.command.upgrade)
    alembic.command.downgrade = timed(alembic.command.downgrade)

    from airflow.__main__ import main

    sys.argv = ["airflow", *args]
    try:
        main()
    except SystemExit as e:
        if e.code not in (None, 0):
            result["ok"] = False
            result["error"] = {"message": f"airflow exited with {e.code}", "statement": None}
    except BaseException as e:  # noqa: BLE001  (reported, not hidden)
        result["ok"] = False
        result["error"] = {
            "message": f"{type(e).__name__}: {e}".strip()[:4000],
            "statement": statement_of(e),
            "traceback": traceback.format_exc()[-4000:],
        }
    result["end"] = time.monotonic() - t0
    write(out, result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "info":
        info(out)
    else:
        rest = sys.argv[3:]
        if rest and rest[0] == "--":
            rest = rest[1:]
        sys.exit(cli(out, rest))

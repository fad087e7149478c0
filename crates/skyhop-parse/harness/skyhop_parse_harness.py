"""skyhop parse harness: imports Airflow once, then parses each DAG file in a forked child.

Shipped inside the skyhop binary and written to skyhop's cache; run by skyhop with the target
environment's Python. Protocol:

* stdin: one JSON object ``{"project_root", "files", "jobs", "timeout", "memory_limit_mb",
  "db_template", "pycache"}``; ``files`` are absolute paths, ``db_template`` a directory where
  the empty Airflow 2 database is kept between runs, ``pycache`` where bytecode is written.
* stdout (a private copy of fd 1: anything Airflow or a DAG prints goes to stderr): one JSON
  object per line, ``{"event": "ready", "python", "airflow", "import_seconds", "db_seconds"}``,
  then ``{"event": "file", ...result}`` per file as each finishes, then ``{"event": "done"}``.
  A problem that stops the whole run is ``{"event": "fatal", "error", "traceback"}`` (exit 2).

A child never takes the run down: it runs in its own process group with an address-space limit;
the parent kills it after ``timeout`` (+ grace, Airflow's own SIGALRM timeout fires first) and
reports crashes (signals, ``os._exit``) with the DAG-file line found in faulthandler's dump.
"""

import json
import os
import sys
import tempfile
import time
import traceback

PROTOCOL_FD = None
GRACE_SECONDS = 2.0
STARTED = b"S"
OUTPUT_TAIL_BYTES = 4000


def emit(obj):
    data = (json.dumps(obj, default=str) + "\n").encode("utf-8", "replace")
    while data:
        n = os.write(PROTOCOL_FD, data)
        data = data[n:]


# ---------------------------------------------------------------------------------------------
# Environment: a throwaway AIRFLOW_HOME, never the user's database.
def prepare_environment(request, home):
    project_root = request["project_root"]
    for key in list(os.environ):
        upper = key.upper()
        # The user's database, secrets backend and `_CMD`/`_SECRET` settings are never used.
        if upper.startswith(
            ("AIRFLOW__DATABASE__", "AIRFLOW__CORE__SQL_ALCHEMY", "AIRFLOW__SECRETS__")
        ) or (
            upper.startswith("AIRFLOW__") and upper.endswith(("_CMD", "_SECRET"))
        ):
            del os.environ[key]
    dags = os.path.join(project_root, "dags")
    plugins = os.path.join(project_root, "plugins")
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            # Airflow's own configuration file stays in the throwaway home even after
            # `AIRFLOW_HOME` is pointed at the project for the DAG code (`dag_code_home`).
            "AIRFLOW_CONFIG": os.path.join(home, "airflow.cfg"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:///" + os.path.join(home, "airflow.db"),
            "AIRFLOW__CORE__SQL_ALCHEMY_CONN": "sqlite:///" + os.path.join(home, "airflow.db"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": dags,
            "AIRFLOW__CORE__PLUGINS_FOLDER": plugins,
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": str(float(request["timeout"])),
            "AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACKS": "True",
            "AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACK_DEPTH": "50",
            "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": os.path.join(home, "logs"),
            "AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY": os.path.join(home, "logs"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        }
    )
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # As in a runtime image: the project root (for `include/`) comes first, as the image's
    # PYTHONPATH puts it; Airflow itself *appends* the DAGs, config and plugins folders
    # (`settings.prepare_syspath`), after site-packages: a project's `plugins/pandas` folder
    # never shadows the real pandas.
    if project_root not in sys.path:
        sys.path.insert(0, project_root)
    for path in (dags, os.path.join(project_root, "config"), plugins):
        if path not in sys.path:
            sys.path.append(path)
    # Bytecode goes to skyhop's cache, never next to the project's files; Airflow's own modules
    # (venvs are installed without .pyc) are compiled once, not by every run and child.
    if request.get("pycache"):
        sys.pycache_prefix = request["pycache"]
        sys.dont_write_bytecode = False
    else:
        sys.dont_write_bytecode = True


def dag_code_home(request, layout):
    """What `AIRFLOW_HOME` holds for the DAG code: in the image it is where the project is
    (`/usr/local/airflow`, `/opt/airflow`), and DAGs read their own files through it
    (`os.path.join(os.environ["AIRFLOW_HOME"], "config/x.conf")`). Airflow itself keeps the
    throwaway home: its paths are all settled when it is imported. None when the image's home
    is not known (then the variable is left as it is)."""
    if not request.get("image_home"):
        return None
    return layout or request["project_root"]


LAYOUT_RELEASE = []


def image_layout(project_root, image_home):
    """Makes the project readable where the image keeps it (`/usr/local/airflow` in Astro
    images, `/opt/airflow` in Apache Airflow's), so absolute paths into it resolve as in the
    image. Done in a private user and mount namespace of this process and its children: a
    tmpfs over the first existing parent of `image_home`, holding links to what that parent
    held, plus `image_home` -> the project. Nothing changes outside this process tree.
    Returns (where, note): where the project is readable, or None and the reason."""
    if not image_home:
        return None, None
    image_home = os.path.normpath(image_home)
    if os.path.realpath(image_home) == os.path.realpath(project_root):
        return image_home, None
    if os.path.lexists(image_home):
        return None, (
            "%s exists on this machine: absolute paths into the project were not mapped to it"
            % image_home
        )
    parent = os.path.dirname(image_home)
    while parent != "/" and not os.path.isdir(parent):
        parent = os.path.dirname(parent)
    if parent == "/" or not sys.platform.startswith("linux"):
        return None, "the project cannot be laid out at %s on this machine" % image_home
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = os.getuid(), os.getgid()
        clone_newuser, clone_newns = 0x10000000, 0x00020000
        if libc.unshare(clone_newuser | clone_newns) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", "%d %d 1" % (uid, uid)),
            ("gid_map", "%d %d 1" % (gid, gid)),
        ):
            with open("/proc/self/" + name, "w") as f:
                f.write(text)
        ms_bind, ms_rec, ms_private = 4096, 16384, 1 << 18

        def mount(source, target, fstype, flags, data):
            args = [None if v is None else v.encode() for v in (source, target, fstype)]
            args += [ctypes.c_ulong(flags), None if data is None else data.encode()]
            if libc.mount(*args) != 0:
                raise OSError(ctypes.get_errno(), "mount %s" % target)

        mount(None, "/", None, ms_rec | ms_private, None)
        # What `parent` holds stays reachable through a bind mount in a private directory.
        # That directory is the real folder: it is never removed recursively.
        keep = tempfile.mkdtemp(prefix="skyhop-layout-")
        original = os.path.join(keep, "original")
        os.mkdir(original)
        mount(parent, original, None, ms_bind | ms_rec, None)

        def release():
            # detached, the folder is empty again (also outside, when the namespace ends)
            if libc.umount2(original.encode(), 2) == 0:  # MNT_DETACH
                for path in (original, keep):
                    try:
                        os.rmdir(path)
                    except OSError:
                        pass

        LAYOUT_RELEASE.append(release)
        entries = os.listdir(original)
        mount("tmpfs", parent, "tmpfs", 0, "mode=0755")
        for entry in entries:
            os.symlink(os.path.join(original, entry), os.path.join(parent, entry))
        os.makedirs(os.path.dirname(image_home), exist_ok=True)
        os.symlink(project_root, image_home)
        return image_home, None
    except (OSError, AttributeError, ValueError) as exc:
        return None, (
            "the project cannot be laid out at %s on this machine (%s): absolute paths into it were not mapped"
            % (image_home, exc)
        )


def with_cause(exc):
    """`Type: message`, with the innermost exception that caused it (Airflow wraps the import
    error of a class a setting names in its own exception)."""
    text = "%s: %s" % (type(exc).__name__, exc)
    root, seen = exc, set()
    while id(root) not in seen:
        seen.add(id(root))
        nxt = root.__cause__ or root.__context__
        if nxt is None:
            break
        root = nxt
    if root is not exc:
        text += " (caused by %s: %s)" % (type(root).__name__, root)
    return text


def airflow_major(version):
    try:
        return int(version.split(".")[0])
    except ValueError:
        return 2


def db_template(directory, version):
    """Where the empty-tables database of this environment is kept between runs."""
    if not directory:
        return None
    import hashlib

    key = hashlib.sha256(os.path.realpath(sys.prefix).encode()).hexdigest()[:12]
    return os.path.join(directory, "airflow-%s-%s.db" % (version, key))


def prepare_database(major, home, template):
    """Airflow 2 reads a few tables while parsing (pools, dataset aliases): create the tables
    from the models, without migrations. Airflow 3 parses without any database."""
    if major >= 3:
        return
    import shutil

    db = os.path.join(home, "airflow.db")
    if template and os.path.isfile(template):
        shutil.copyfile(template, db)
        return
    from airflow import settings
    import airflow.models

    try:
        airflow.models.import_all_models()
    except Exception:
        pass
    from airflow.models.base import Base

    pending = list(Base.metadata.tables.values())
    while pending:
        failed = []
        for table in pending:
            try:
                table.create(settings.engine, checkfirst=True)
            except Exception:
                failed.append(table)
        if len(failed) == len(pending):
            break
        pending = failed
    if template:
        try:
            os.makedirs(os.path.dirname(template), exist_ok=True)
            tmp = template + ".%d.tmp" % os.getpid()
            shutil.copyfile(db, tmp)
            os.replace(tmp, template)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Stand-ins: Variables, Connections and env vars nobody sets here answer with placeholder
# values, like the Astro harness. Every placeholder handed out is recorded: when a file that
# read one fails, it is parsed again with other placeholders, and a failure that changes with
# them is the placeholder's, not the file's (see `run_pool`).
# ---------------------------------------------------------------------------------------------

# "A": the first parse; "B": the second one, with different placeholders.
STANDIN_MODE = "A"
STANDINS_USED = []


def standin(kind, key, value_a, value_b):
    name = "%s %s" % (kind, key)
    if name not in STANDINS_USED:
        STANDINS_USED.append(name)
    return value_a if STANDIN_MODE == "A" else value_b


def variable_value(key):
    return standin(
        "Variable", key, "NON_DEFAULT_MOCKED_VARIABLE_VALUE", "skyhop-placeholder-%s" % key
    )


class MockJson(dict):
    """What `Variable.get(..., deserialize_json=True)` returns: any key gives a mock value."""

    def __missing__(self, key):
        return "MOCKED_KEY_VALUE" if STANDIN_MODE == "A" else "skyhop-placeholder"

    def get(self, key, default=None):
        if default is not None or key in self:
            return dict.get(self, key, default)
        return self.__missing__(key)


def env_value(key):
    """A placeholder for a variable nobody sets: for `AIRFLOW_CONN_*`, a valid connection
    (JSON first, then a URI); else a string."""
    upper = str(key).upper()
    if upper.startswith("AIRFLOW_CONN_"):
        return standin(
            "environment variable",
            key,
            '{"conn_type": "generic", "host": "localhost"}',
            "generic://localhost",
        )
    return standin("environment variable", key, "MOCKED_%s_VALUE" % upper, "skyhop-placeholder")


def _is_sentinel(value):
    return type(value).__name__ in ("ArgNotSet", "NOTSET") or type(value) is object


def mock_variable_get(key, *args, **kwargs):
    has_default, default = False, None
    if args:
        has_default, default = True, args[0]
    for name in ("default_var", "default"):
        if name in kwargs:
            has_default, default = True, kwargs[name]
    if has_default and _is_sentinel(default):
        has_default = False
    deserialize = kwargs.get("deserialize_json", args[1] if len(args) > 1 else False)
    real = os.environ.get("AIRFLOW_VAR_" + str(key).upper())
    if real is not None:
        return json.loads(real) if deserialize else real
    if has_default:
        return default
    if deserialize:
        standin("Variable", key, None, None)
        return MockJson()
    return variable_value(key)


def install_variable_mocks():
    """`Variable.get` of Airflow 2 (`airflow.models`) and of the task SDK (`airflow.sdk`)."""

    def get(cls, key, *args, **kwargs):
        return mock_variable_get(key, *args, **kwargs)

    for module in ("airflow.models.variable", "airflow.sdk.definitions.variable"):
        cls = _load(module, "Variable")
        if cls is not None:
            cls.get = classmethod(get)


def _load(module, name):
    try:
        mod = __import__(module, fromlist=[name])
        return getattr(mod, name, None)
    except Exception:
        return None


def install_connection_mocks():
    model_conn = _load("airflow.models.connection", "Connection")
    sdk_conn = _load("airflow.sdk.definitions.connection", "Connection")

    def make(conn_cls, conn_id):
        uri = os.environ.get("AIRFLOW_CONN_" + str(conn_id).upper())
        if uri is not None:
            try:
                if uri.lstrip().startswith("{"):
                    return conn_cls(conn_id=conn_id, **json.loads(uri))
                if hasattr(conn_cls, "from_uri"):
                    return conn_cls.from_uri(uri, conn_id=conn_id)
                return conn_cls(conn_id=conn_id, uri=uri)
            except Exception:
                pass
        try:
            return conn_cls(conn_id=conn_id)
        except TypeError:
            return conn_cls(conn_id=conn_id, conn_type="generic")

    if model_conn is not None:
        model_conn.get_connection_from_secrets = classmethod(
            lambda cls, conn_id: make(model_conn, conn_id)
        )
    if sdk_conn is not None:
        sdk_conn.get = classmethod(lambda cls, conn_id: make(sdk_conn, conn_id))
    # With the task SDK, `airflow.hooks.base.BaseHook` is a deprecated alias of the SDK's.
    hook = _load("airflow.sdk.bases.hook" if sdk_conn else "airflow.hooks.base", "BaseHook")
    hook_conn = sdk_conn or model_conn
    if hook is not None and hook_conn is not None:
        hook.get_connection = classmethod(lambda cls, conn_id: make(hook_conn, conn_id))


def install_env_mocks(project_root):
    """`os.getenv`, `os.environ.get` and `os.environ[...]` called from project code answer a
    missing variable with `MOCKED_<KEY>_VALUE`; Airflow's own calls are left alone."""
    prefix = os.path.realpath(project_root) + os.sep

    def from_project(depth):
        try:
            filename = sys._getframe(depth).f_code.co_filename
        except ValueError:
            return False
        if not os.path.isabs(filename):  # `<frozen os>`, `<string>`...
            return False
        return filename.startswith(prefix) or os.path.realpath(filename).startswith(prefix)

    def mock(key):
        if key in ("JENKINS_HOME", "PYTEST_THEME"):
            return None
        return env_value(key)

    real_getenv = os.getenv
    environ_cls = type(os.environ)
    real_get = environ_cls.get
    real_getitem = environ_cls.__getitem__

    def getenv(key, default=None):
        value = real_getenv(key, default)
        if value is None and from_project(2):
            return mock(key)
        return value

    def get(self, key, default=None):
        value = real_get(self, key, default)
        if value is None and self is os.environ and from_project(2):
            return mock(key)
        return value

    def getitem(self, key):
        try:
            return real_getitem(self, key)
        except KeyError:
            if self is os.environ and from_project(2) and mock(key) is not None:
                return mock(key)
            raise

    os.getenv = getenv
    environ_cls.get = get
    environ_cls.__getitem__ = getitem


# ---------------------------------------------------------------------------------------------
# One file, in a forked child.
# ---------------------------------------------------------------------------------------------


# Modules most DAG files import, loaded once in the parent so that children do not each import
# them again. Only canonical, non-deprecated modules: a deprecated module warns when imported,
# and that warning must happen in the child parsing the file that imports it.
PRELOAD = {
    2: (
        "airflow.models.baseoperator",
        "airflow.task.priority_strategy",
        "airflow.operators.empty",
        "airflow.operators.bash",
        "airflow.operators.python",
        "airflow.sensors.base",
        "airflow.decorators",
        "airflow.utils.task_group",
    ),
    3: (
        "airflow.sdk",
        "airflow.task.priority_strategy",
        "airflow.providers.standard.operators.empty",
        "airflow.providers.standard.operators.bash",
        "airflow.providers.standard.operators.python",
        "airflow.providers.standard.sensors.time_delta",
        "airflow.serialization.serialized_objects",
    ),
}


def preload(major):
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in PRELOAD.get(min(major, 3), ()):
            try:
                importlib.import_module(module)
            except Exception:
                pass


def load_dagbag_class():
    """Airflow's DagBag: `airflow.dag_processing.dagbag` (3.1+), else `airflow.models.dagbag`.
    When neither imports, Airflow's own error is raised, as it is (a project setting or a
    package that breaks Airflow's import shows there)."""
    import importlib

    errors = []
    for module in ("airflow.dag_processing.dagbag", "airflow.models.dagbag"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # this Airflow has no such module
            errors.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - Airflow's own import error, shown as it is
            errors.append(exc)
            continue
        cls = getattr(mod, "DagBag", None)
        if cls is not None:
            return cls, mod
    if errors:
        raise errors[0]
    raise ImportError("this Airflow has no DagBag (airflow.dag_processing.dagbag, airflow.models.dagbag)")


def new_dagbag(dagbag_cls, folder):
    """An empty DagBag with examples off, with only the arguments this Airflow takes (3.2 has
    no `include_examples`, Airflow before 2.5 no `collect_dags`)."""
    import inspect

    try:
        params = inspect.signature(dagbag_cls.__init__).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs = {"dag_folder": folder}
    if "include_examples" in params:
        kwargs["include_examples"] = False
    if "collect_dags" in params:
        kwargs["collect_dags"] = False
    else:
        # without `collect_dags` the bag collects its folder: give it an empty one
        kwargs["dag_folder"] = tempfile.mkdtemp()
    return dagbag_cls(**kwargs)


def in_file(filename, path):
    if not filename:
        return False
    if filename == path:
        return True
    # Zip archives: `/project/dags/x.zip/module.py`.
    return path.endswith(".zip") and filename.startswith(path + os.sep)


def failing_line(exc, path):
    if isinstance(exc, SyntaxError) and in_file(getattr(exc, "filename", None), path):
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if in_file(tb.tb_frame.f_code.co_filename, path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def stack_line(path):
    frame = sys._getframe(1)
    while frame is not None:
        if in_file(frame.f_code.co_filename, path):
            return frame.f_lineno
        frame = frame.f_back
    return None


def category_name(category):
    module = getattr(category, "__module__", "builtins")
    return category.__name__ if module == "builtins" else "%s.%s" % (module, category.__name__)


def unique_warnings(recorded):
    """One warning per (line, category, message), as Python's `default` action shows them
    (`from airflow.decorators import dag` warns twice for the same line)."""
    seen = set()
    out = []
    for w in recorded:
        key = (w["line"], w["category"], w["message"])
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def parse_one(path, dagbag_cls, dagbag_module):
    import warnings

    # Airflow 3 captures warnings and re-emits them after the import, losing the stack we use
    # to find the DAG-file line: let them through live instead.
    if hasattr(dagbag_module, "_capture_with_reraise"):
        import contextlib

        @contextlib.contextmanager
        def passthrough():
            yield []

        dagbag_module._capture_with_reraise = passthrough

    caught = []
    real_format_exc = traceback.format_exc

    def format_exc(*args, **kwargs):
        info = sys.exc_info()
        if info[1] is not None:
            caught.append(info[1])
        return real_format_exc(*args, **kwargs)

    traceback.format_exc = format_exc

    recorded = []

    def showwarning(message, category, filename, lineno, file=None, line=None):
        at = lineno if in_file(filename, path) else stack_line(path)
        recorded.append({"line": at, "category": category_name(category), "message": str(message)})

    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = showwarning
        bag = new_dagbag(dagbag_cls, path)
        try:
            bag.process_file(path, only_if_updated=False)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            # Airflow 2 catches only `Exception` around the import, so `sys.exit` and (before
            # 2.10) its own `AirflowTaskTimeout`, a BaseException, escape: record them as
            # Airflow 3 does.
            caught.append(exc)
            bag.import_errors[path] = real_format_exc()
    duration = time.monotonic() - start
    traceback.format_exc = real_format_exc

    result = {
        "path": path,
        "ok": not bag.import_errors,
        "error": None,
        "error_type": None,
        "line": None,
        "traceback": None,
        "dag_ids": sorted(bag.dags),
        "warnings": unique_warnings(recorded),
        "duration_ms": int(duration * 1000),
        "standins": list(STANDINS_USED),
    }
    if bag.import_errors:
        text = "\n".join(str(v) for v in bag.import_errors.values())
        exc = caught[-1] if caught else None
        if exc is not None:
            result["error_type"] = type(exc).__name__
            if isinstance(exc, SystemExit):
                result["error"] = "the file called sys.exit(%r) while importing" % (exc.code,)
            else:
                result["error"] = str(exc) or type(exc).__name__
            result["line"] = failing_line(exc, path)
            result["traceback"] = "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)
            )
        else:
            # Errors raised while bagging a DAG (cycles, duplicate ids): "Type: message".
            head, sep, rest = text.strip().partition(": ")
            if sep and head.replace(".", "").replace("_", "").isalnum():
                result["error_type"], result["error"] = head.split(".")[-1], rest
            else:
                result["error_type"], result["error"] = "ImportError", text.strip()
            result["traceback"] = text
    return result


def missing(path):
    return failure(path, "FileNotFoundError", "no such file: %s" % path, None, None, 0.0)


def die_with_parent(parent_pid):
    """Linux: the child is killed when the harness dies (Ctrl-C, skyhop killed): in its own
    process group it would not get the terminal's signals and could loop on forever."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the harness died before prctl
        os._exit(1)


def child_main(path, mode, write_fd, output_path, request, dagbag_cls, dagbag_module, parent_pid):
    global STANDIN_MODE
    import faulthandler
    import resource
    import signal

    os.setpgid(0, 0)
    die_with_parent(parent_pid)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    faulthandler.enable(file=sys.stderr, all_threads=False)
    # DagBag installs a Python SIGSEGV handler, which cannot return from a real fault: keep
    # faulthandler's, which dumps the stack and lets the process die.
    real_signal = signal.signal

    def guarded_signal(signum, handler):
        if signum == signal.SIGSEGV:
            return signal.getsignal(signum)
        return real_signal(signum, handler)

    signal.signal = guarded_signal
    limit = request.get("memory_limit_mb")
    if limit:
        try:
            with open("/proc/self/statm") as f:
                current = int(f.read().split()[0]) * resource.getpagesize()
            cap = current + int(limit) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (OSError, ValueError):
            pass
    STANDIN_MODE = mode
    install_env_mocks(request["project_root"])
    code = 0
    # Tell the parent the import starts now: its timeout clock starts here, like Airflow's.
    os.write(write_fd, STARTED)
    try:
        result = parse_one(path, dagbag_cls, dagbag_module)
    except BaseException as exc:  # the harness itself failed on this file
        result = {
            "path": path,
            "ok": False,
            "error": "skyhop harness error: %s: %s" % (type(exc).__name__, exc),
            "error_type": "HarnessError",
            "line": None,
            "traceback": traceback.format_exc(),
            "dag_ids": [],
            "warnings": [],
            "duration_ms": 0,
        }
        code = 3
    data = (json.dumps(result, default=str) + "\n").encode("utf-8", "replace")
    try:
        while data:
            n = os.write(write_fd, data)
            data = data[n:]
    finally:
        os._exit(code)


# ---------------------------------------------------------------------------------------------
# The pool.
# ---------------------------------------------------------------------------------------------


def output_tail(output_path):
    try:
        with open(output_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - OUTPUT_TAIL_BYTES))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def crash_line(text, path):
    """The innermost DAG-file line of faulthandler's dump ('File "...", line N in ...')."""
    import re

    line = None
    for match in re.finditer(r'File "([^"]+)", line (\d+)', text):
        if in_file(match.group(1), path):
            line = int(match.group(2))
            if "most recent call first" in text:
                return line
    return line


def failure(path, error_type, error, line, tb, duration):
    return {
        "path": path,
        "ok": False,
        "error": error,
        "error_type": error_type,
        "line": line,
        "traceback": tb or None,
        "dag_ids": [],
        "warnings": [],
        "duration_ms": int(duration * 1000),
    }


def finish(job, status, timed_out):
    import signal

    duration = time.monotonic() - job["start"]
    path = job["path"]
    tail = output_tail(job["output"])
    data = bytes(job["buffer"]).decode("utf-8", "replace").strip()
    if timed_out:
        return failure(
            path,
            "Timeout",
            "parsing did not finish within %ss; the process was killed" % job["timeout"],
            crash_line(tail, path),
            tail,
            duration,
        )
    if data:
        try:
            return json.loads(data.splitlines()[-1])
        except ValueError:
            pass
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = "signal %d" % signum
        return failure(
            path,
            "Crash",
            "the Python process crashed with %s while importing the file" % name,
            crash_line(tail, path),
            tail,
            duration,
        )
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return failure(
        path,
        "Exit",
        "the file ended the Python process (exit status %d, e.g. os._exit) while importing" % code,
        None,
        tail,
        duration,
    )


def stop(pid):
    """SIGABRT first, so faulthandler dumps the stack (the line it hangs on), then SIGKILL."""
    import signal

    try:
        os.kill(pid, signal.SIGABRT)
    except OSError:
        pass
    for _ in range(20):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if not done:
        os.waitpid(pid, 0)


PLACEHOLDER = None


def names_a_placeholder(text):
    """Whether an error message quotes a placeholder value of either parse."""
    import re

    global PLACEHOLDER
    if PLACEHOLDER is None:
        PLACEHOLDER = re.compile(
            r"MOCKED_[A-Za-z0-9_]*VALUE|skyhop-placeholder|generic://localhost"
            r'|"conn_type": "generic", "host": "localhost"'
        )
    return bool(PLACEHOLDER.search(text or ""))


def second_opinion(first, second):
    """The result of a file that read placeholders and failed (`first`), given its second
    parse with other placeholders: the same failure, not about a placeholder value, is the
    file's own; a failure about a placeholder, or one that changed (or went away) with them,
    depends on values the real image would have, and is marked so."""
    own = (
        not second.get("ok")
        and first.get("error_type") == second.get("error_type")
        and first.get("error") == second.get("error")
        and not names_a_placeholder(first.get("error"))
    )
    if not own:
        first = dict(first)
        first["standin_dependent"] = True
        first["standin_error_b"] = None if second.get("ok") else second.get("error")
    return first


def run_pool(request, dagbag_cls, dagbag_module, scratch):
    import select
    import signal

    import gc

    # Objects that exist before forking are never collected in a child: moving them out of the
    # collector's reach keeps children from touching (and so copying) the parent's memory.
    gc.collect()
    gc.freeze()
    parent = os.getpid()
    # each entry: (path, stand-in mode, the first parse's result when this is the second)
    files = [(path, "A", None) for path in request["files"]]
    jobs = max(1, int(request.get("jobs") or os.cpu_count() or 1))
    timeout = float(request["timeout"])
    running = {}
    index = 0
    while index < len(files) or running:
        while index < len(files) and len(running) < jobs:
            path, mode, first = files[index]
            output = os.path.join(scratch, "out-%d.txt" % index)
            index += 1
            if not os.path.isfile(path):
                emit(dict(missing(path), event="file"))
                continue
            read_fd, write_fd = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                # The child keeps only its own pipe: a process the DAG file leaves behind must
                # not hold skyhop's channel or another file's pipe open.
                for fd in [read_fd, PROTOCOL_FD, *running]:
                    os.close(fd)
                child_main(
                    path, mode, write_fd, output, request, dagbag_cls, dagbag_module, parent
                )
            os.close(write_fd)
            running[read_fd] = {
                "pid": pid,
                "path": path,
                "output": output,
                "start": time.monotonic(),
                "buffer": bytearray(),
                "started": False,
                "timeout": timeout,
                "mode": mode,
                "first": first,
            }
        now = time.monotonic()
        deadline = min(job["start"] + timeout + GRACE_SECONDS for job in running.values())
        ready, _, _ = select.select(list(running), [], [], max(0.0, deadline - now))
        for fd in ready:
            job = running[fd]
            chunk = os.read(fd, 65536)
            if chunk:
                if not job["started"] and chunk.startswith(STARTED):
                    job["started"] = True
                    job["start"] = time.monotonic()
                    chunk = chunk[len(STARTED):]
                job["buffer"].extend(chunk)
                if not job["buffer"].endswith(b"\n"):
                    continue  # the result line is not complete yet
            # The result is complete (or the child died): reap it, then whatever it left
            # behind in its process group.
            os.close(fd)
            del running[fd]
            _, status = os.waitpid(job["pid"], 0)
            try:
                os.killpg(job["pid"], signal.SIGKILL)
            except OSError:
                pass
            result = finish(job, status, False)
            if job["first"] is not None:
                emit(dict(second_opinion(job["first"], result), event="file"))
            elif not result.get("ok") and result.get("standins"):
                # read a placeholder and failed: parse it again with other placeholders next
                files.insert(index, (job["path"], "B", result))
            else:
                emit(dict(result, event="file"))
        now = time.monotonic()
        for fd, job in list(running.items()):
            if now >= job["start"] + timeout + GRACE_SECONDS:
                stop(job["pid"])
                os.close(fd)
                del running[fd]
                result = finish(job, 0, True)
                if job["first"] is not None:
                    result = second_opinion(job["first"], result)
                emit(dict(result, event="file"))


def main():
    global PROTOCOL_FD
    import shutil

    PROTOCOL_FD = os.dup(1)
    os.dup2(2, 1)  # whatever Airflow prints must not reach the protocol channel
    request = json.loads(sys.stdin.read())
    # before any thread starts: unshare needs a single-threaded process
    layout, layout_note = image_layout(request["project_root"], request.get("image_home"))
    home = tempfile.mkdtemp(prefix="skyhop-parse-")
    try:
        prepare_environment(request, home)
        start = time.monotonic()
        try:
            import airflow

            version = getattr(airflow, "__version__", "unknown")
            import_seconds = time.monotonic() - start
            major = airflow_major(version)
            start = time.monotonic()
            prepare_database(major, home, db_template(request.get("db_template"), version))
            db_seconds = time.monotonic() - start
            dagbag_cls, dagbag_module = load_dagbag_class()
            preload(major)
            install_variable_mocks()
            install_connection_mocks()
            code_home = dag_code_home(request, layout)
            if code_home:
                os.environ["AIRFLOW_HOME"] = code_home
        except BaseException as exc:
            emit(
                {
                    "event": "fatal",
                    "error": with_cause(exc),
                    "traceback": traceback.format_exc(),
                }
            )
            return 2
        emit(
            {
                "event": "ready",
                "python": sys.version.split()[0],
                "airflow": version,
                "import_seconds": round(import_seconds, 3),
                "db_seconds": round(db_seconds, 3),
                "image_home": layout,
                "image_home_note": layout_note,
            }
        )
        run_pool(request, dagbag_cls, dagbag_module, home)
        emit({"event": "done"})
        return 0
    finally:
        shutil.rmtree(home, ignore_errors=True)
        for release in LAYOUT_RELEASE:
            release()


if __name__ == "__main__":
    status = main()
    # Skip the interpreter's teardown of everything Airflow loaded (a good part of a second).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

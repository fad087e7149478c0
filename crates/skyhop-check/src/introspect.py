"""Introspect the Airflow API of the Python environment this script runs in.

Shipped inside skyhop-check (include_str!) and run once per environment with that
environment's python: `python introspect.py OUT.json [BUDGET_SECONDS]`. Writes one JSON
document (see `ApiIndex` in index.rs) describing:

- the installed distributions, their versions and top-level modules;
- every module under `airflow` (and `airflow.providers.*`): whether it imports, the names it
  defines (classes, functions, submodules, other values), and the names it serves through a
  module `__getattr__` (Airflow's deprecation shims and lazy imports), with their targets;
- every class met on the way: its bases, own attributes, the parameters of its own methods, and
  the keyword arguments its constructor accepts (walking the MRO while `__init__` takes
  `**kwargs`);
- the configuration: every option the target defines (its config.yml / default config, with
  its providers'), its deprecated-options map, and its own list of configuration changes
  (Airflow 3's `airflow config lint` list, deprecated values, sensitive options).

Modules are imported in forked worker processes, each import with its own time budget, so one
slow or hanging module cannot stop the rest. Nothing is printed except errors on stderr.
"""

import ast
import importlib
import importlib.metadata
import inspect
import json
import multiprocessing
import os
import re
import signal
import sys
import textwrap
import time
import traceback
import warnings

SCRIPT_VERSION = 1  # bump when the JSON changes: it is part of the cache key
ROOT = "airflow"
# Modules we list but do not import: tests, DB migrations, web servers, CLI, UI assets.
SKIP_SEGMENTS = {
    "tests", "test", "migrations", "example_dags", "www", "ui", "api_fastapi", "cli",
    "_vendor", "__main__", "alembic", "system", "node_modules", "static", "templates",
    "api", "api_connexion", "api_internal", "auth", "auth_manager",
}
PER_MODULE_SECONDS = 20
DEPRECATION_CATEGORIES = ("Deprecat", "Removed", "FutureWarning")
DOTTED = re.compile(r"(airflow(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def list_modules():
    """All module names under the `airflow` package directories, without importing them."""
    spec = importlib.util.find_spec(ROOT)
    if spec is None:
        return [], {}
    locations = list(spec.submodule_search_locations or [])
    modules = {ROOT: None}
    for base in locations:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            rel = os.path.relpath(dirpath, base)
            parts = [] if rel == "." else rel.split(os.sep)
            if any(not p.isidentifier() for p in parts):
                dirnames[:] = []
                continue
            prefix = ".".join([ROOT] + parts)
            if parts:
                modules.setdefault(prefix, dirpath)
            for f in filenames:
                if f.endswith(".py") and f != "__init__.py":
                    stem = f[:-3]
                    if stem.isidentifier():
                        modules.setdefault(prefix + "." + stem, os.path.join(dirpath, f))
    return sorted(modules), modules


# Import order when the time budget is short: what DAG files import most comes first.
DAG_FACING = ("operators", "sensors", "hooks", "transfers", "triggers", "decorators", "utils",
              "models", "sdk", "datasets", "assets", "timetables", "notifications", "macros")


def priority(name):
    parts = name.split(".")
    provider = len(parts) > 1 and parts[1] == "providers"
    facing = any(p in DAG_FACING for p in parts[1:])
    return (not facing, provider, len(parts), name)


def skipped(name):
    return any(seg in SKIP_SEGMENTS for seg in name.split(".")[1:])


def canonical(obj):
    mod = getattr(obj, "__module__", None) or "?"
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?")
    return f"{mod}.{qual}"


def signature_params(fn):
    """(named keyword-capable parameters, accepts **kwargs) or None when unknown."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    names, var_kw = [], False
    for p in sig.parameters.values():
        if p.kind == p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.append(p.name)
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names, var_kw


def _is_super_init(func):
    """`super().__init__`, `super(X, self).__init__` or `Base.__init__`."""
    return isinstance(func, ast.Attribute) and func.attr == "__init__"


def kwargs_use(init):
    """How an `__init__` taking `**kwargs` uses them, read from its source: (forwarded to the
    next `__init__`, keys read by literal name, used some other way). None when the source
    cannot be read. A `**kwargs` that is not forwarded, or is used in another way (read by a
    computed key as hooks do with `conn_name_attr`, stored, passed elsewhere), means the
    constructor may take any keyword."""
    try:
        fn = inspect.unwrap(init)
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except Exception:  # noqa: BLE001 - no source (C, generated), or it does not parse alone
        return None
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func.args.kwarg is None:
        return None
    name = func.args.kwarg.arg
    parents = {}
    for node in ast.walk(func):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    forwarded, keys, other = False, set(), False

    def literal(node):
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for node in ast.walk(func):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword) and parent.arg is None:
            call = parents.get(parent)
            if isinstance(call, ast.Call) and _is_super_init(call.func):
                forwarded = True
                continue
        elif isinstance(parent, ast.Attribute) and parent.attr in ("get", "pop", "setdefault"):
            call = parents.get(parent)
            key = literal(call.args[0]) if isinstance(call, ast.Call) and call.func is parent and call.args else None
            if key is not None:
                keys.add(key)
                continue
        elif isinstance(parent, ast.Subscript) and parent.value is node and literal(parent.slice) is not None:
            keys.add(literal(parent.slice))
            continue
        elif isinstance(parent, ast.Compare) and node in parent.comparators and literal(parent.left) is not None \
                and all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops):
            keys.add(literal(parent.left))
            continue
        other = True
    return forwarded, keys, other


def is_airflow_base_operator(cls):
    # BaseOperator takes **kwargs but rejects unknown ones (Airflow >= 2.0).
    return cls.__name__ == "BaseOperator" and (cls.__module__ or "").startswith("airflow")


def init_info(cls):
    params, closed = [], False
    custom_new = any("__new__" in k.__dict__ for k in cls.__mro__ if k is not object)
    custom_call = any("__call__" in m.__dict__ for m in type(cls).__mro__ if m is not type and m is not object)
    seen_kwargs = False
    for k in cls.__mro__:
        if k is object:
            # No __init__ at all: object() takes no keywords. After an __init__ with
            # **kwargs we cannot know what it does with them.
            closed = not seen_kwargs
            break
        init = k.__dict__.get("__init__")
        if init is None:
            continue
        info = signature_params(init)
        if info is None:
            break
        names, var_kw = info
        for n in names:
            if n not in params:
                params.append(n)
        if not var_kw or is_airflow_base_operator(k):
            closed = True
            break
        # `**kwargs`: the chain goes on only where they are all handed to the next `__init__`.
        use = kwargs_use(init)
        if use is None or use[2] or not use[0]:
            break
        for n in sorted(use[1]):
            if n not in params:
                params.append(n)
        seen_kwargs = True
    if custom_new or custom_call:
        closed = False  # construction goes through __new__ / a metaclass: keywords unknown
    return {"params": params, "closed": closed}


def method_params(fn):
    """Parameters of a method as the framework calls it: `name`, `name=` (has a default),
    `*` (takes *args), `**` (takes **kwargs); `self` / `cls` left out. None when unknown."""
    if isinstance(fn, (staticmethod, classmethod)):
        fn = fn.__func__
    if not inspect.isfunction(fn):
        return None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = []
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            out.append("*")
        elif p.kind == p.VAR_KEYWORD:
            out.append("**")
        else:
            out.append(p.name + ("=" if p.default is not p.empty else ""))
    if out and out[0] in ("self", "cls"):
        out = out[1:]
    return out


def class_record(cls):
    attrs = set()
    for key in cls.__dict__:
        if not (key.startswith("__") and key.endswith("__")) or key in ("__init__", "__getattr__", "__call__"):
            attrs.add(key)
    for key in getattr(cls, "__dict__", {}).get("__annotations__", {}) or {}:
        attrs.add(key)
    for key in getattr(cls, "__slots__", ()) or ():
        if isinstance(key, str):
            attrs.add(key)
    fields = getattr(cls, "__attrs_attrs__", None)
    if fields:
        for f in fields:
            attrs.add(f.name)
    methods, wrapped = {}, []
    for key, value in cls.__dict__.items():
        if key.startswith("__") and key.endswith("__"):
            continue
        params = method_params(value)
        if params is not None:
            methods[key] = params
            if hasattr(getattr(value, "__func__", value), "__wrapped__"):
                wrapped.append(key)
    return {
        "bases": [canonical(b) for b in cls.__bases__],
        "attrs": sorted(attrs),
        "init": init_info(cls),
        "methods": methods,
        "wrapped": sorted(wrapped),
    }


def add_class(cls, classes):
    for k in cls.__mro__:
        key = canonical(k)
        if key in classes:
            continue
        try:
            classes[key] = class_record(k)
        except Exception:  # noqa: BLE001 - a broken class must not stop the walk
            classes[key] = {"bases": [], "attrs": [], "init": {"params": [], "closed": False}}


def is_deprecation(w):
    return any(c in w.category.__name__ for c in DEPRECATION_CATEGORIES)


def try_getattr(mod, name):
    """(ok, deprecation message or None, error or None) for `mod.name`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = getattr(mod, name)
        except Exception as e:  # noqa: BLE001
            return False, None, f"{type(e).__name__}: {e}", None
    msgs = [str(w.message) for w in caught if is_deprecation(w)]
    return True, (msgs[0] if msgs else None), None, value


def target_of(message):
    if not message:
        return None
    found = DOTTED.findall(message)
    return found[-1] if found else None


def shim_maps(mod):
    """Names served by the module's `__getattr__`: {name: target} and wildcard target."""
    ga = mod.__dict__.get("__getattr__")
    if ga is None:
        return None
    func = getattr(ga, "func", None)
    if func is not None and getattr(func, "__name__", "") == "getattr_with_deprecation":
        imports = dict(ga.args[0]) if ga.args else {}
        return {"kind": "deprecated", "map": imports}
    maps = {}
    for key, value in mod.__dict__.items():
        low = key.lower()
        if isinstance(value, dict) and ("lazy" in low or "deprecat" in low):
            for name, target in value.items():
                if isinstance(target, str):
                    maps[name] = target if "." in target.strip(".") else None
                elif isinstance(target, tuple) and target and isinstance(target[0], str):
                    maps[name] = None
                elif isinstance(target, dict):
                    # AF2 style: {submodule: {Name: target}} handled by virtual modules
                    continue
                else:
                    maps[name] = None
    return {"kind": "mapped" if maps and rejects_other_names(ga) else "opaque", "map": maps}


def rejects_other_names(ga):
    """Whether a module `__getattr__` answers a name outside its maps with AttributeError, as
    a complete map does (one that falls back to importing a submodule, or serves other names
    some other way, does not: the names it serves cannot be listed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ga("skyhop_probe_no_such_name")
    except AttributeError as e:
        return not isinstance(e, ImportError)
    except Exception:  # noqa: BLE001
        return False
    return False


def describe_module(name, mod, functions, classes, import_warning):
    names = {}
    for key, value in list(mod.__dict__.items()):
        if key.startswith("__") and key.endswith("__"):
            continue
        try:
            if inspect.isclass(value):
                names[key] = "c:" + canonical(value)
                add_class(value, classes)
            elif inspect.ismodule(value):
                names[key] = "m:" + value.__name__
            elif callable(value):
                names[key] = "f"
                mod_name = getattr(value, "__module__", "") or ""
                if mod_name.startswith(ROOT) and inspect.isfunction(value):
                    info = signature_params(value)
                    if info is not None:
                        functions[canonical(value)] = {"params": info[0], "closed": not info[1]}
                        names[key] = "f:" + canonical(value)
            else:
                names[key] = "v"
        except Exception:  # noqa: BLE001
            names[key] = "v"
    record = {
        "status": "ok",
        "names": names,
        "file": getattr(mod, "__file__", None) is not None,
    }
    if import_warning:
        record["deprecated"] = import_warning
    shim = shim_maps(mod)
    if shim is not None:
        record["getattr"] = shim["kind"]
        served = {}
        for key, target in shim["map"].items():
            if key == "*":
                record["wildcard"] = target
                continue
            ok, dep, err, value = try_getattr(mod, key)
            entry = {"target": target or None, "ok": ok}
            if dep:
                entry["deprecated"] = dep
                entry["target"] = entry["target"] or target_of(dep)
            if err:
                entry["error"] = err[:300]
            if ok and inspect.isclass(value):
                entry["class"] = canonical(value)
                add_class(value, classes)
            elif ok and inspect.isfunction(value):
                entry["function"] = canonical(value)
                info = signature_params(value)
                if info is not None:
                    functions[canonical(value)] = {"params": info[0], "closed": not info[1]}
            elif ok and inspect.ismodule(value):
                entry["module"] = value.__name__
            served[key] = entry
        record["served"] = served
    return record


_described_virtual = set()


def virtual_modules(out, functions, classes):
    """Describe shim-created modules (no file, a `__getattr__`) not described by this worker yet."""
    for new in sorted(sys.modules):
        if new in _described_virtual or not new.startswith(ROOT + "."):
            continue
        m = sys.modules.get(new)
        if m is None or getattr(m, "__file__", None) is not None or "__getattr__" not in getattr(m, "__dict__", {}):
            continue
        _described_virtual.add(new)
        try:
            out[new] = describe_module(new, m, functions, classes, None)
            out[new]["virtual"] = True
        except Exception:  # noqa: BLE001
            pass


def import_one(name):
    """Worker: import one module and describe it (plus virtual modules it created)."""
    functions, classes, out = {}, {}, {}

    def on_alarm(signum, frame):
        raise TimeoutError(f"import took more than {PER_MODULE_SECONDS}s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(PER_MODULE_SECONDS)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod = importlib.import_module(name)
        signal.alarm(0)
        own = None
        for w in caught:
            if is_deprecation(w) and (name in str(w.message) or w.filename == getattr(mod, "__file__", None)):
                own = str(w.message)
                break
        out[name] = describe_module(name, mod, functions, classes, own)
        virtual_modules(out, functions, classes)
    except TimeoutError as e:
        # Slow, not broken: the module exists, its names are just not known.
        out[name] = {"status": "skipped", "error": str(e)}
    except BaseException as e:  # noqa: BLE001 - SystemExit and friends from module code too
        signal.alarm(0)
        out[name] = {"status": "error", "error": f"{type(e).__name__}: {e}"[:500]}
    return out, functions, classes


def distributions():
    dists = []
    module_dist = {}
    for d in importlib.metadata.distributions():
        name = d.metadata.get("Name")
        if not name:
            continue
        tops = set()
        text = d.read_text("top_level.txt")
        if text:
            tops.update(t.strip() for t in text.split() if t.strip())
        files = d.files or []
        for f in files:
            parts = f.parts
            if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or parts[0] in ("..", "__pycache__", "bin"):
                continue
            if len(parts) == 1 and parts[0].endswith(".py"):
                tops.add(parts[0][:-3])
            elif len(parts) == 1 and (parts[0].endswith(".so") or parts[0].endswith(".pth")):
                if parts[0].endswith(".so"):
                    tops.add(parts[0].split(".")[0])
            elif len(parts) > 1:
                tops.add(parts[0])
                if parts[0] == ROOT and parts[-1].endswith(".py"):
                    mod = ".".join(parts[:-1]) if parts[-1] == "__init__.py" else ".".join(parts)[:-3]
                    module_dist.setdefault(mod, name)
        tops = sorted(t for t in tops if t.isidentifier())
        dists.append({"name": name, "version": d.version, "top_level": tops})
    dists.sort(key=lambda x: x["name"].lower())
    return dists, module_dist


def config_info():
    """The target's configuration: every option it defines (its config.yml / default config,
    with its providers'), and its deprecated-options map. None when it cannot be read."""
    try:
        from airflow.configuration import conf
    except BaseException:  # noqa: BLE001
        return None
    options = {}

    def add(section, keys):
        bucket = options.setdefault(section.lower(), set())
        bucket.update(k.lower() for k in keys)

    try:
        conf.load_providers_configuration()
    except BaseException:  # noqa: BLE001 - older Airflow: providers add no configuration
        pass
    try:
        from airflow.configuration import retrieve_configuration_description

        try:
            desc = retrieve_configuration_description(include_providers=True)
        except TypeError:
            desc = retrieve_configuration_description()
        for section, body in (desc or {}).items():
            add(section, ((body or {}).get("options") or {}).keys())
    except BaseException:  # noqa: BLE001 - Airflow < 2.7 has no description API
        pass
    for parser in (getattr(conf, "_default_values", None), getattr(conf, "airflow_defaults", None)):
        try:
            for section in parser.sections():
                add(section, parser.options(section))
        except BaseException:  # noqa: BLE001
            pass
    deprecated = []
    try:
        for (new_section, new_key), old in getattr(conf, "deprecated_options", {}).items():
            old_section, old_key = old[0], old[1]
            since = old[2] if len(old) > 2 else None
            deprecated.append({
                "section": old_section.lower(), "key": old_key.lower(),
                "new_section": new_section.lower(), "new_key": new_key.lower(),
                "since": str(since) if since else None,
            })
    except BaseException:  # noqa: BLE001
        pass
    try:
        for new_section, old in getattr(conf, "deprecated_sections", {}).items():
            old_section = old[0]
            since = old[1] if len(old) > 1 else None
            for key in options.get(new_section.lower(), ()):
                deprecated.append({
                    "section": old_section.lower(), "key": key,
                    "new_section": new_section.lower(), "new_key": key,
                    "since": str(since) if since else None,
                })
    except BaseException:  # noqa: BLE001
        pass
    if not options:
        return None
    info = {"options": {s: sorted(k) for s, k in sorted(options.items())}, "deprecated": deprecated}
    info.update(config_lists(conf))
    return info


def config_lists(conf):
    """What the target itself says changed in its configuration: Airflow 3's `airflow config
    lint` list (`CONFIGS_CHANGES`: renames, removals, default changes, invalid values), the
    parser's many-to-one deprecations and deprecated values, and the sensitive options (the
    only ones whose `_CMD` / `_SECRET` variants Airflow reads)."""
    out = {}
    try:
        from airflow.cli.commands.config_command import CONFIGS_CHANGES
    except BaseException:  # noqa: BLE001 - Airflow 2 has no such list
        CONFIGS_CHANGES = []
    changes = []
    for c in CONFIGS_CHANGES:
        try:
            rec = {"section": c.config.section.lower(), "option": c.config.option.lower()}
            if getattr(c, "default_change", False):
                rec.update(kind="default", old_default=text_or_none(c.old_default),
                           new_default=text_or_none(c.new_default))
            elif getattr(c, "renamed_to", None) is not None:
                rec.update(kind="renamed", new_section=c.renamed_to.section.lower(),
                           new_option=c.renamed_to.option.lower())
            elif getattr(c, "was_removed", False) and getattr(c, "remove_if_equals", None) is not None:
                rec.update(kind="removed_if_equals", value=str(c.remove_if_equals))
            elif getattr(c, "was_removed", False):
                rec.update(kind="removed")
            elif getattr(c, "is_invalid_if", None) is not None:
                rec.update(kind="invalid", value=str(c.is_invalid_if))
            else:
                continue
            rec["suggestion"] = (getattr(c, "suggestion", "") or "").strip() or None
            rec["breaking"] = bool(getattr(c, "breaking", False))
            changes.append(rec)
        except BaseException:  # noqa: BLE001 - one odd entry must not lose the rest
            continue
    out["changes"] = changes
    many = []
    try:
        for (new_section, new_key), olds in getattr(conf, "many_to_one_deprecated_options", {}).items():
            for old in olds:
                many.append({
                    "section": old[0].lower(), "key": old[1].lower(),
                    "new_section": new_section.lower(), "new_key": new_key.lower(),
                    "since": str(old[2]) if len(old) > 2 and old[2] else None,
                })
    except BaseException:  # noqa: BLE001
        pass
    out["many_to_one"] = many
    values = []
    try:
        for section, options in getattr(conf, "deprecated_values", {}).items():
            for option, spec in options.items():
                pattern = getattr(spec[0], "pattern", None)
                if not isinstance(pattern, str):
                    continue
                literal = re.sub(r"\\(.)", r"\1", pattern)
                rec = {"section": section.lower(), "option": option.lower(),
                       "replacement": str(spec[1]),
                       "since": str(spec[2]) if len(spec) > 2 and spec[2] else None}
                if re.escape(literal) == pattern:
                    rec["literal"] = literal
                else:
                    rec["pattern"] = pattern
                values.append(rec)
    except BaseException:  # noqa: BLE001
        pass
    out["values"] = values
    try:
        out["sensitive"] = sorted(f"{s.lower()}.{k.lower()}" for s, k in conf.sensitive_config_values)
    except BaseException:  # noqa: BLE001
        out["sensitive"] = []
    return out


def text_or_none(value):
    return None if value is None else str(value)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "-"
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    start = time.time()
    warnings.simplefilter("ignore")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    names, files = list_modules()
    dists, module_dist = distributions()
    version = None
    try:
        version = importlib.metadata.version("apache-airflow")
    except Exception:  # noqa: BLE001
        pass
    modules, functions, classes = {}, {}, {}
    to_import = sorted((n for n in names if not skipped(n)), key=priority)
    for n in names:
        if skipped(n):
            modules[n] = {"status": "skipped"}
    # Import the heavy common base once so forked workers share it.
    try:
        import airflow  # noqa: F401
        import airflow.models  # noqa: F401
    except BaseException:  # noqa: BLE001
        pass
    ctx = multiprocessing.get_context("fork")
    workers = max(1, min(os.cpu_count() or 1, 8))
    pool = ctx.Pool(workers)
    timed_out = False
    try:
        it = pool.imap_unordered(import_one, to_import, chunksize=1)
        while True:
            remaining = budget - (time.time() - start)
            if remaining <= 0:
                timed_out = True
                break
            try:
                out, fns, cls = it.next(timeout=remaining)
            except StopIteration:
                break
            except multiprocessing.TimeoutError:
                timed_out = True
                break
            for k, v in out.items():
                if k not in modules or modules[k].get("status") != "ok":
                    modules[k] = v
            functions.update(fns)
            classes.update(cls)
    finally:
        pool.terminate()
    for n in to_import:
        modules.setdefault(n, {"status": "skipped", "error": "not imported within the time budget"})
    for n, rec in modules.items():
        d = module_dist.get(n)
        if d:
            rec["dist"] = d
    doc = {
        "script_version": SCRIPT_VERSION,
        "python": ".".join(map(str, sys.version_info[:3])),
        "airflow_version": version,
        "seconds": round(time.time() - start, 2),
        "timed_out": timed_out,
        "stdlib": sorted(set(sys.stdlib_module_names) | set(sys.builtin_module_names)),
        "distributions": dists,
        "modules": modules,
        "classes": classes,
        "functions": functions,
        "config": config_info(),
    }
    data = json.dumps(doc, sort_keys=True)
    if out_path == "-":
        sys.stdout.write(data)
    else:
        tmp = out_path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(data)
        os.replace(tmp, out_path)


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(2)

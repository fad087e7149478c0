"""Where the installed ``skyhop`` binary is."""

import os
import sys
import sysconfig


def _candidates():
    exe = "skyhop" + (sysconfig.get_config_var("EXE") or "")
    # The scripts directory of this interpreter's environment (venv, pipx, uv tool, system).
    yield os.path.join(sysconfig.get_path("scripts"), exe)
    # `pip install --user`.
    scheme = sysconfig.get_preferred_scheme("user") if sys.version_info >= (3, 10) else (
        "nt_user" if os.name == "nt" else "posix_user"
    )
    yield os.path.join(sysconfig.get_path("scripts", scheme=scheme), exe)
    # `pip install --target DIR`: DIR/skyhop/_find.py and DIR/bin/skyhop.
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(os.path.dirname(here), "bin", exe)


def find_skyhop_bin() -> str:
    """The path of the ``skyhop`` binary this package installed."""
    tried = []
    for path in _candidates():
        if os.path.isfile(path):
            return path
        tried.append(path)
    raise FileNotFoundError(
        "the skyhop binary is not where this package installs it (looked at: "
        + ", ".join(tried)
        + "); reinstall it: pip install --force-reinstall skyhop"
    )

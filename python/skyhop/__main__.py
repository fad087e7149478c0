"""``python -m skyhop ARGS``: runs the installed ``skyhop`` binary with ARGS."""

import os
import sys

from skyhop._find import find_skyhop_bin


def main() -> None:
    try:
        skyhop = os.fsdecode(find_skyhop_bin())
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if sys.platform == "win32":
        import subprocess

        sys.exit(subprocess.run([skyhop, *sys.argv[1:]]).returncode)
    os.execv(skyhop, [skyhop, *sys.argv[1:]])


if __name__ == "__main__":
    main()

"""Regenerate rules/names.json from the research notes' Appendix A tables (ruff AIR3xx data).

Usage: python3 names_from_notes.py /work/shared/notes/airflow-breaking-rules.md > ../names.json
Then review the diff. Fixes the data defects listed in the notes (section 1.7).
"""
import json
import re
import sys

TABLES = {
    "A.1": {"removed": "3.0", "deprecated": None},
    "A.2": {"removed": "3.0", "deprecated": None},
    "A.3": {"removed": None, "deprecated": "3.0"},
    "A.4": {"removed": None, "deprecated": "3.0"},
    "A.5": {"removed": None, "deprecated": "3.1"},
}
code = re.compile(r"`([^`]*)`")


def cell(c):
    m = code.search(c)
    return m.group(1).strip() if m else None


def main(path):
    section, out, seen = None, [], set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"### (A\.\d)", line)
        if m:
            section = m.group(1)
            continue
        if section not in TABLES or not line.startswith("| `"):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        old = cell(cols[0])
        entry = {"old": old, "new": None, "package": None, "message": None}
        if section in ("A.2", "A.4"):
            entry["new"] = f"{cell(cols[1])}.{cell(cols[2])}".replace(".sensor.bash", ".sensors.bash")
            pkg = re.match(r"(\S+)", cols[3]).group(1)
            entry["package"] = pkg
        else:
            new = cell(cols[1]) if cols[1] != "—" else None
            kind = cols[2]
            if new:
                entry["new"] = new
            if kind.startswith("Message"):
                entry["message"] = kind.split(":", 1)[1].strip().replace("\\", "").replace("  ", " ")
            elif "SourceModuleMovedWithMessage" in kind:
                entry["message"] = kind.split(":", 1)[1].strip()
        entry.update(TABLES[section])
        if old.endswith(("_operator", "_hook", "_sensor")) or re.search(r"\.(\w+_(operator|hook|sensor)|contrib)\.", old):
            entry["deprecated"] = entry["deprecated"] or "2.0"
        if old in seen:
            continue
        seen.add(old)
        out.append(entry)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main(sys.argv[1])

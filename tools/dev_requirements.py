"""Print the PEP 735 ``dev`` dependency group of pyproject.toml as a requirements file.

Usage::

    python tools/dev_requirements.py [GROUP] > dev-requirements.txt

``make install`` installs the group with ``pip install -e . --group dev`` (pip >= 25.1);
with an older pip, which has no ``--group``, it installs this output (``pip install -r``)
instead. An entry naming the project itself (``gwcloud-python[server,completion]``) becomes
an editable install of this checkout with those extras; ``{include-group = ...}`` tables
are expanded.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def group_requirements(pyproject: dict[str, Any], group: str) -> list[str]:
    """Return the requirements of one dependency group, includes expanded, project editable."""
    name = re.sub(r"[-_.]+", "-", pyproject["project"]["name"]).lower()
    groups: dict[str, list[Any]] = pyproject.get("dependency-groups", {})
    result: list[str] = []
    for entry in groups[group]:
        if isinstance(entry, dict):
            result += group_requirements(pyproject, entry["include-group"])
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?", entry)
        if match and re.sub(r"[-_.]+", "-", match.group(1)).lower() == name:
            result.append(f"-e {ROOT}{match.group(2) or ''}")  # the project itself, editable
            continue
        result.append(entry)
    return result


def main(argv: list[str]) -> int:
    """Print the requirements, one a line."""
    group = argv[0] if argv else "dev"
    with (ROOT / "pyproject.toml").open("rb") as handle:
        pyproject = tomllib.load(handle)
    print("\n".join(group_requirements(pyproject, group)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

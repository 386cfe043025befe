"""Check how much of gwcloud-python's public API has a known type, with pyright.

Usage::

    python tools/verify_types.py [--min-score 0.98] [--package gwcloud_python]

Runs ``pyright --verifytypes PACKAGE --ignoreexternal --outputjson`` against the Python
running this script, prints the completeness score and every public symbol whose type is
unknown or ambiguous, and exits 1 when the score is below ``--min-score``. ``make
typecheck`` runs it, so an ``Any`` that starts leaking into the public API fails the build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _pyright() -> str:
    local = Path(sys.executable).with_name("pyright")
    found = str(local) if local.exists() else shutil.which("pyright")
    if found is None:
        raise SystemExit("verify_types: pyright is not installed (pip install pyright)")
    return found


def run(package: str, python: str | None = None) -> dict[str, Any]:
    """Run pyright's verifytypes and return its JSON report.

    Parameters
    ----------
    package : str
        The package to check, as ``python`` imports it.
    python : str, optional
        The interpreter whose environment holds the package (default: this one).
        verifytypes ignores ``--pythonpath`` and uses the first ``python`` on ``PATH``,
        so the interpreter's directory is put first there.
    """
    python = python or sys.executable
    command = [
        _pyright(),
        "--verifytypes",
        package,
        "--ignoreexternal",
        "--outputjson",
    ]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"verify_types: pyright failed:\n{proc.stdout}\n{proc.stderr}") from None
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the score and the offending symbols; return 1 when below the minimum."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="gwcloud_python")
    parser.add_argument("--min-score", type=float, default=0.98)
    parser.add_argument("--python", help="interpreter whose environment holds the package")
    args = parser.parse_args(argv)
    report = run(args.package, args.python)
    completeness = report["typeCompleteness"]
    score = float(completeness["completenessScore"])
    for symbol in completeness.get("symbols", []):
        if symbol.get("diagnostics") and (
            not symbol.get("isTypeKnown", True) or symbol.get("isTypeAmbiguous")
        ):
            messages = "; ".join(
                d["message"].strip().replace("\n", " ") for d in symbol.get("diagnostics", [])
            )
            print(f"  {symbol['name']}: {messages}")
    for problem in completeness.get("diagnostics", []):
        print(f"  {problem.get('message', problem)}")
    if not completeness.get("packageRootDirectory"):
        print(f"verify_types: pyright cannot find {args.package} (is it installed?)")
        return 1
    exported = completeness["exportedSymbolCounts"]
    print(
        f"{args.package}: type completeness {score:.1%}"
        f" ({exported['withKnownType']} known, {exported['withAmbiguousType']} ambiguous,"
        f" {exported['withUnknownType']} unknown exported symbols); minimum {args.min_score:.0%}"
    )
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())

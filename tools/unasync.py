"""Write the synchronous twin of every hand-written async module.

The async modules under ``src/gwcloud_python/_async/`` are the only hand-written copy of
the client, the job object and the GraphQL/transport bases.  This script rewrites each of
them into ``src/gwcloud_python/_sync/`` with a fixed table of textual substitutions
(``async def`` becomes ``def``, ``await`` disappears, ``AsyncGWCloud`` becomes ``GWCloud``
and so on), the technique httpcore uses for its own twin trees.

The rewrite is purely textual and applies to code, strings and comments alike, so a
docstring written for the async class reads right for the sync one.  A source line that
ends in ``# unasync: drop`` is left out of the sync file.  The result is put through the
project's ruff (import order, formatting), so the sync tree passes ``make lint`` as it is.

Usage::

    python tools/unasync.py            # (re)write src/gwcloud_python/_sync/
    python tools/unasync.py --check    # exit 1 when a sync file is stale or hand-edited
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gwcloud_python"
SOURCE_DIR = PACKAGE / "_async"
TARGET_DIR = PACKAGE / "_sync"
DROP_MARK = "# unasync: drop"

#: Whole words replaced as they are; checked before the general patterns below.
WORDS = {
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "aiter_raw": "iter_raw",
    "aiter_lines": "iter_lines",
    "StopAsyncIteration": "StopIteration",
    "asynccontextmanager": "contextmanager",
    "AsyncByteStream": "SyncByteStream",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncExitStack": "ExitStack",
    "_async": "_sync",
}

#: Keyword forms: ``async def`` and friends lose the keyword, ``await`` goes.
KEYWORDS = [
    (re.compile(r"\basync (def|for|with) "), r"\1 "),
    (re.compile(r"\bawait "), ""),
]

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in WORDS:
        return WORDS[word]
    if word.startswith("Async") and word[5:6].isupper():
        return word[5:]
    if word.startswith("async_") and len(word) > 6:
        return word[6:]
    if word.startswith("_async_") and len(word) > 7:
        return "_" + word[7:]
    return word


def header(source: Path) -> str:
    """Return the first line written to the sync twin of ``source``."""
    relative = source.relative_to(ROOT).as_posix()
    return f"# Generated from {relative} by tools/unasync.py: do not edit.\n"


def rewrite(text: str) -> str:
    """Return the synchronous version of one async module's text."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.rstrip().endswith(DROP_MARK):
            continue
        for pattern, replacement in KEYWORDS:
            line = pattern.sub(replacement, line)
        lines.append(_WORD.sub(_word, line))
    return "".join(lines)


def tidy(text: str, target: Path) -> str:
    """Sort imports and format ``text`` as ruff would, so the sync tree passes ``make lint``.

    Renaming shortens lines (and can reorder imported names), so the rewritten
    text is put through the project's pinned ruff, reading and writing stdin.
    """
    name = str(target.relative_to(ROOT))
    steps = (
        ["check", "--select", "I", "--fix", "--quiet", "--exit-zero", "--stdin-filename", name],
        ["format", "--quiet", "--stdin-filename", name],
    )
    for step in steps:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *step, "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"ruff {step[0]} failed on {name}: {done.stderr.strip()}")
        text = done.stdout
    return text


def expected() -> dict[Path, str]:
    """Map each sync file path to the text it should hold."""
    outputs: dict[Path, str] = {}
    for source in sorted(SOURCE_DIR.glob("*.py")):
        target = TARGET_DIR / source.name
        text = header(source) + rewrite(source.read_text("utf-8"))
        outputs[target] = tidy(text, target)
    return outputs


def main(argv: list[str] | None = None) -> int:
    """Write or check the sync tree; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when _sync/ is stale")
    args = parser.parse_args(argv)
    outputs = expected()
    present = set(TARGET_DIR.glob("*.py")) if TARGET_DIR.is_dir() else set()
    if args.check:
        problems = [
            f"{path.relative_to(ROOT)} is stale or hand-edited"
            for path, text in outputs.items()
            if not path.is_file() or path.read_text("utf-8") != text
        ]
        problems += [
            f"{path.relative_to(ROOT)} has no async source" for path in present - outputs.keys()
        ]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make generate` to rewrite src/gwcloud_python/_sync/", file=sys.stderr)
            return 1
        print("src/gwcloud_python/_sync/ is up to date")
        return 0
    TARGET_DIR.mkdir(exist_ok=True)
    for path in present - outputs.keys():
        path.unlink()
    for path, text in outputs.items():
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Refresh a GraphQL schema from a live endpoint or a saved introspection result.

Usage::

    python tools/schema_refresh.py SOURCE --name bilby [--schema-dir schema]
        [--queries-dir queries/bilby] [--stamp schema/STAMP.json] [--dry-run]
        [--drop-field TYPE.FIELD ...] [--baseline OLD.graphql]
    python tools/schema_refresh.py --check-stamp schema/STAMP.json [--schema-dir schema]
    python tools/schema_refresh.py --write-stamp schema/STAMP.json [--schema-dir schema]

``SOURCE`` is either an ``http://`` or ``https://`` endpoint URL, which is sent the
standard introspection query, or the path of a saved introspection result (either
``{"data": {"__schema": ...}}`` or the bare ``{"__schema": ...}``), or the path of an SDL
file (``*.graphql``), which is read as the schema it describes.

``--drop-field TYPE.FIELD`` (repeatable) records a schema that a service has *announced*
but does not serve yet: the named field of an object or interface type, or input field of
an input type, is removed before anything is printed or validated. Every named field must
exist (a typo is bad input, not a silent no-op). ``--baseline`` names the SDL that the
breaking and dangerous changes are reported against, instead of the previous
``<schema-dir>/<name>.graphql``; with both, ``schema/2026-next/`` is recorded from
``schema/2026/`` and its report says exactly what the announced removal breaks.

The refresh

1. builds a deterministic SDL print of the new schema (types sorted by name, single
   trailing newline) and writes it to ``<schema-dir>/<name>.graphql``;
2. updates the entry for ``name`` in the stamp file (sha256 of the SDL and the installed
   ``ariadne-codegen`` version), keeping every other entry;
3. prints a report: breaking and dangerous changes against the previous SDL, and every
   operation in ``<queries-dir>`` with whether it still validates against the new schema
   (each operation file is validated together with the fragments it uses, wherever in the
   queries directory they are defined).

Exit codes
----------
0
    Every operation validates (breaking changes alone do not fail the refresh).
1
    At least one operation no longer validates. The SDL and the stamp are still written
    (unless ``--dry-run``) so that the client can be regenerated and the queries fixed.
    With ``--check-stamp``: the stamp does not match the schema files or the generator.
2
    Bad input: an unreachable endpoint, an HTTP or GraphQL error from it, a missing or
    unreadable file, or a file that is not an introspection result.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Source,
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
    introspection_from_schema,
    lexicographic_sort_schema,
    parse,
    print_schema,
    validate,
)
from graphql.language import get_location
from graphql.utilities import IntrospectionQuery

from gwcloud_python.schema_check import used_fragments as _used_fragments

__all__ = [
    "GENERATOR",
    "HTTP_TIMEOUT",
    "Change",
    "OperationResult",
    "Report",
    "SchemaRefreshError",
    "build_sdl",
    "check_stamp",
    "compute_stamp",
    "diff_schemas",
    "drop_fields",
    "fetch_introspection",
    "format_report",
    "generator_version",
    "load_introspection",
    "main",
    "read_stamp",
    "validate_operations",
    "write_stamp",
]

#: Seconds allowed for the introspection request (connect, read, write and pool).
HTTP_TIMEOUT = 30.0
#: Distribution whose version is recorded in the stamp.
GENERATOR = "ariadne-codegen"

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2

_EXPECTED_INTROSPECTION = (
    'a GraphQL introspection result: {"data": {"__schema": ...}} or {"__schema": ...}'
)


class SchemaRefreshError(Exception):
    """Bad input: the message is meant for the user, without a traceback."""


@dataclass(frozen=True)
class Change:
    """One schema change found by graphql-core.

    Parameters
    ----------
    type : str
        The change type name, e.g. ``FIELD_REMOVED`` or ``OPTIONAL_ARG_ADDED``.
    description : str
        graphql-core's human-readable description.
    """

    type: str
    description: str


@dataclass(frozen=True)
class Report:
    """Breaking and dangerous changes between two schemas.

    Parameters
    ----------
    breaking : list of Change
        Changes that can break existing clients.
    dangerous : list of Change
        Changes that may change the behaviour of existing clients.
    """

    breaking: list[Change] = field(default_factory=list)
    dangerous: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class OperationResult:
    """Validation outcome of one operation in a queries directory.

    Parameters
    ----------
    file : str
        The file's path relative to the queries directory (POSIX form).
    name : str
        The operation name, ``<anonymous>`` for an unnamed operation, or ``<file>`` when
        the file itself could not be parsed.
    kind : str
        ``query``, ``mutation``, ``subscription``, or ``syntax`` for a parse failure.
    errors : list of str
        Validation error messages, each prefixed with ``file:line:column`` when known.
        Empty when the operation validates.
    """

    file: str
    name: str
    kind: str
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """bool: Whether the operation validates against the schema."""
        return not self.errors


# --------------------------------------------------------------------------- loading


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch_introspection(url: str, *, timeout: float = HTTP_TIMEOUT) -> dict[str, Any]:
    """POST the standard introspection query to a GraphQL endpoint.

    Parameters
    ----------
    url : str
        The endpoint URL (``http://`` or ``https://``).
    timeout : float, optional
        Seconds allowed for the request, by default ``HTTP_TIMEOUT`` (30).

    Returns
    -------
    dict
        The response body as decoded JSON (not yet checked to be an introspection result).

    Raises
    ------
    SchemaRefreshError
        The endpoint is unreachable, times out, answers with a non-2xx status, or with a
        body that is not JSON.

    Examples
    --------
    >>> fetch_introspection("https://gwcloud.org.au/bilby/graphql")  # doctest: +SKIP
    {'data': {'__schema': {...}}}
    """
    payload = {"query": get_introspection_query(), "operationName": "IntrospectionQuery"}
    try:
        response = httpx.post(
            url, json=payload, timeout=timeout, headers={"Accept": "application/json"}
        )
    except httpx.HTTPError as err:
        detail = str(err) or "no details"
        raise SchemaRefreshError(f"cannot reach {url}: {type(err).__name__}: {detail}") from err
    if not response.is_success:
        raise SchemaRefreshError(
            f"{url} answered HTTP {response.status_code} {response.reason_phrase}"
            f" to the introspection query: {response.text[:200]!r}"
        )
    try:
        body: Any = response.json()
    except ValueError as err:
        raise SchemaRefreshError(
            f"{url} did not answer with JSON ({err}); expected {_EXPECTED_INTROSPECTION}"
        ) from err
    if not isinstance(body, dict):
        raise SchemaRefreshError(
            f"{url} answered with a JSON {type(body).__name__}; expected {_EXPECTED_INTROSPECTION}"
        )
    return body


def _read_json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise SchemaRefreshError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise SchemaRefreshError(f"{path}: cannot read: {err}") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SchemaRefreshError(
            f"{path}: not valid JSON ({err}); expected {_EXPECTED_INTROSPECTION}"
        ) from err


def _unwrap_introspection(body: Any, origin: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SchemaRefreshError(
            f"{origin}: found a JSON {type(body).__name__}; expected {_EXPECTED_INTROSPECTION}"
        )
    errors = body.get("errors")
    if errors:
        messages = [
            str(e.get("message", e)) if isinstance(e, dict) else str(e)
            for e in (errors if isinstance(errors, list) else [errors])
        ]
        raise SchemaRefreshError(
            f"{origin}: the introspection query returned GraphQL errors: " + "; ".join(messages)
        )
    data = body.get("data", body)
    schema = data.get("__schema") if isinstance(data, dict) else None
    if not isinstance(schema, dict) or not isinstance(schema.get("types"), list):
        keys = ", ".join(sorted(map(str, body))) or "none"
        raise SchemaRefreshError(
            f"{origin}: not an introspection result (top-level keys: {keys});"
            f" expected {_EXPECTED_INTROSPECTION}"
        )
    return {"__schema": schema}


def load_introspection(source: str) -> dict[str, Any]:
    """Load an introspection result from an endpoint URL or a saved JSON file.

    Parameters
    ----------
    source : str
        An ``http://`` or ``https://`` endpoint URL, or the path of a JSON file holding
        ``{"data": {"__schema": ...}}`` or ``{"__schema": ...}``.

    Returns
    -------
    dict
        ``{"__schema": ...}``, ready for ``graphql.build_client_schema``.

    Raises
    ------
    SchemaRefreshError
        The endpoint cannot be queried or returned GraphQL errors, the file is missing or
        unreadable, or the JSON is not an introspection result.

    Examples
    --------
    >>> load_introspection("bilby.introspection.json")["__schema"]["queryType"]  # doctest: +SKIP
    {'name': 'Query'}
    """
    if _is_url(source):
        return _unwrap_introspection(fetch_introspection(source), source)
    path = Path(source)
    if path.suffix == ".graphql":
        return _introspection_from_sdl(path)
    return _unwrap_introspection(_read_json_file(path), str(path))


def _introspection_from_sdl(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise SchemaRefreshError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise SchemaRefreshError(f"{path}: cannot read: {err}") from err
    schema = _schema_from_sdl(text, str(path))
    return {"__schema": dict(introspection_from_schema(schema))["__schema"]}


def drop_fields(introspection: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Remove fields from an introspection result, to record an announced schema.

    Parameters
    ----------
    introspection : dict
        ``{"__schema": ...}`` as returned by :func:`load_introspection`; not modified.
    fields : iterable of str
        ``TYPE.FIELD`` names: a field of an object or interface type, or an input field
        of an input object type.

    Returns
    -------
    dict
        A copy of ``introspection`` without those fields.

    Raises
    ------
    SchemaRefreshError
        A name is not of the form ``TYPE.FIELD``, or the type or field does not exist
        (so that a typo never records the unchanged schema).

    Examples
    --------
    >>> lean = drop_fields(load_introspection("bilby.json"), ["EventIDType.isLigoEvent"])
    ... # doctest: +SKIP
    """
    result: dict[str, Any] = json.loads(json.dumps(introspection))
    types = {t.get("name"): t for t in result["__schema"]["types"] if isinstance(t, dict)}
    for spec in fields:
        type_name, dot, field_name = spec.partition(".")
        if not dot or not type_name or not field_name or "." in field_name:
            raise SchemaRefreshError(f"--drop-field {spec!r}: expected TYPE.FIELD")
        entry = types.get(type_name)
        if entry is None:
            raise SchemaRefreshError(f"--drop-field {spec!r}: no type {type_name!r}")
        key = "inputFields" if entry.get("kind") == "INPUT_OBJECT" else "fields"
        present = entry.get(key) or []
        kept = [f for f in present if f.get("name") != field_name]
        if len(kept) == len(present):
            raise SchemaRefreshError(
                f"--drop-field {spec!r}: type {type_name!r} has no field {field_name!r}"
            )
        entry[key] = kept
    return result


def build_sdl(introspection: dict[str, Any]) -> str:
    """Print an introspection result as deterministic SDL.

    Types, fields, arguments and directives are sorted by name, so the same schema always
    gives the same bytes, whatever order the server lists them in.

    Parameters
    ----------
    introspection : dict
        ``{"__schema": ...}`` as returned by :func:`load_introspection`.

    Returns
    -------
    str
        The SDL, ending with exactly one newline.

    Raises
    ------
    SchemaRefreshError
        The introspection result does not describe a valid schema.
    """
    return _print_sdl(_client_schema(introspection))


def _print_sdl(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema)).rstrip("\n") + "\n"


def _client_schema(introspection: dict[str, Any]) -> GraphQLSchema:
    try:
        return build_client_schema(cast(IntrospectionQuery, introspection))
    except (GraphQLError, TypeError, KeyError, ValueError, AttributeError) as err:
        raise SchemaRefreshError(f"invalid introspection result: {err}") from err


# --------------------------------------------------------------------------- diff


def diff_schemas(old_sdl: str, new_sdl: str) -> Report:
    """List breaking and dangerous changes from one SDL to another.

    Parameters
    ----------
    old_sdl : str
        The previous schema.
    new_sdl : str
        The new schema.

    Returns
    -------
    Report
        Changes in graphql-core's order.

    Raises
    ------
    SchemaRefreshError
        Either SDL cannot be parsed or built into a schema.

    Examples
    --------
    >>> diff_schemas("type Query { a: Int b: Int }", "type Query { a: Int }").breaking
    [Change(type='FIELD_REMOVED', description='Query.b was removed.')]
    """
    return _diff(
        _schema_from_sdl(old_sdl, "previous schema"), _schema_from_sdl(new_sdl, "new schema")
    )


def _diff(old: GraphQLSchema, new: GraphQLSchema) -> Report:
    return Report(
        breaking=[Change(c.type.name, c.description) for c in find_breaking_changes(old, new)],
        dangerous=[Change(c.type.name, c.description) for c in find_dangerous_changes(old, new)],
    )


def _schema_from_sdl(sdl: str, what: str) -> GraphQLSchema:
    try:
        return build_schema(sdl)
    except (GraphQLError, TypeError) as err:
        raise SchemaRefreshError(f"{what}: invalid SDL: {err}") from err


# --------------------------------------------------------------------------- operations


def _format_error(error: GraphQLError) -> str:
    places = []
    for node in error.nodes or ():
        if node.loc is not None:
            loc = get_location(node.loc.source, node.loc.start)
            places.append(f"{node.loc.source.name}:{loc.line}:{loc.column}")
    return f"{', '.join(places)}: {error.message}" if places else error.message


def validate_operations(schema: GraphQLSchema, queries_dir: Path) -> list[OperationResult]:
    """Validate every operation under a queries directory against a schema.

    Every ``*.graphql`` file under ``queries_dir`` is parsed; the fragment definitions of
    all files form a shared pool (fragments usually live in ``fragments.graphql``). Each
    operation is validated together with the fragments it uses, directly or through other
    fragments; a file's own fragment definitions take precedence over the pool's.

    Parameters
    ----------
    schema : GraphQLSchema
        The schema to validate against.
    queries_dir : Path
        The directory holding the ``.graphql`` operation and fragment files.

    Returns
    -------
    list of OperationResult
        One per operation (or per file that cannot be parsed), sorted by file then by
        position in the file. Fragment-only files yield none.

    Raises
    ------
    SchemaRefreshError
        ``queries_dir`` is not a directory, or a file cannot be read.
    """
    if not queries_dir.is_dir():
        raise SchemaRefreshError(f"{queries_dir}: no such queries directory")
    documents: dict[str, DocumentNode] = {}
    results: list[OperationResult] = []
    for path in sorted(queries_dir.rglob("*.graphql")):
        label = path.relative_to(queries_dir).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise SchemaRefreshError(f"{path}: cannot read: {err}") from err
        try:
            documents[label] = parse(Source(text, label))
        except GraphQLError as err:
            results.append(OperationResult(label, "<file>", "syntax", [_format_error_at(err)]))

    pool: dict[str, FragmentDefinitionNode] = {}
    for document in documents.values():
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                pool.setdefault(definition.name.value, definition)

    for label, document in documents.items():
        local = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        fragments = {**pool, **local}
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            used = _used_fragments(definition, fragments)
            errors = validate(schema, DocumentNode(definitions=(definition, *used)))
            results.append(
                OperationResult(
                    file=label,
                    name=definition.name.value if definition.name else "<anonymous>",
                    kind=definition.operation.value,
                    errors=[_format_error(e) for e in errors],
                )
            )
    results.sort(key=lambda r: r.file)  # stable: keeps document order within a file
    return results


def _format_error_at(error: GraphQLError) -> str:
    if error.source is not None and error.locations:
        loc = error.locations[0]
        return f"{error.source.name}:{loc.line}:{loc.column}: {error.message}"
    return _format_error(error)


# --------------------------------------------------------------------------- stamp


def generator_version() -> str | None:
    """Return the installed ``ariadne-codegen`` version.

    Returns
    -------
    str or None
        The version, or None when the generator is not installed.
    """
    try:
        return importlib.metadata.version(GENERATOR)
    except importlib.metadata.PackageNotFoundError:
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _display_path(path: Path) -> str:
    """Path relative to the working directory (the project root under ``make``)."""
    return Path(os.path.relpath(path.absolute(), Path.cwd())).as_posix()


def compute_stamp(schema_dir: Path, names: Iterable[str]) -> dict[str, Any]:
    """Compute the stamp of some schemas and of the installed generator.

    Parameters
    ----------
    schema_dir : Path
        Directory holding ``<name>.graphql`` files.
    names : iterable of str
        Schema names to stamp.

    Returns
    -------
    dict
        ``{"generator": {"ariadne-codegen": VERSION}, "schemas": {NAME: {"path": PATH,
        "sha256": HEX}}}``, where ``PATH`` is relative to the working directory.

    Raises
    ------
    SchemaRefreshError
        ``ariadne-codegen`` is not installed, or a schema file cannot be read.
    """
    version = generator_version()
    if version is None:
        raise SchemaRefreshError(f"{GENERATOR} is not installed; cannot record its version")
    schemas: dict[str, dict[str, str]] = {}
    for name in names:
        path = schema_dir / f"{name}.graphql"
        try:
            digest = _sha256(path)
        except OSError as err:
            raise SchemaRefreshError(f"{path}: cannot read: {err}") from err
        schemas[name] = {"path": _display_path(path), "sha256": digest}
    return {"generator": {GENERATOR: version}, "schemas": schemas}


def read_stamp(stamp_path: Path) -> dict[str, Any]:
    """Read a stamp file.

    Parameters
    ----------
    stamp_path : Path
        The stamp JSON file.

    Returns
    -------
    dict
        The stamp, with ``generator`` and ``schemas`` objects.

    Raises
    ------
    SchemaRefreshError
        The file is missing, unreadable, not JSON, or not shaped like a stamp.
    """
    stamp = _read_json_file(stamp_path)
    if (
        not isinstance(stamp, dict)
        or not isinstance(stamp.get("generator"), dict)
        or not isinstance(stamp.get("schemas"), dict)
    ):
        raise SchemaRefreshError(
            f"{stamp_path}: not a schema stamp;"
            ' expected {"generator": {...}, "schemas": {...}}'
        )
    return stamp


def write_stamp(stamp_path: Path, schema_dir: Path, names: Iterable[str]) -> dict[str, Any]:
    """Update the stamp entries of some schemas, keeping the others.

    The generator version is set to the installed one. The file is written as JSON with
    sorted keys, an indent of 2 and a trailing newline.

    Parameters
    ----------
    stamp_path : Path
        The stamp JSON file; created (with its directory) when missing.
    schema_dir : Path
        Directory holding ``<name>.graphql`` files.
    names : iterable of str
        Schema names whose entries are (re)computed.

    Returns
    -------
    dict
        The stamp as written.

    Raises
    ------
    SchemaRefreshError
        An existing stamp cannot be read, or a schema file cannot be read.
    """
    stamp = read_stamp(stamp_path) if stamp_path.exists() else {"generator": {}, "schemas": {}}
    fresh = compute_stamp(schema_dir, names)
    stamp["generator"] = fresh["generator"]
    stamp["schemas"].update(fresh["schemas"])
    stamp_path.parent.mkdir(parents=True, exist_ok=True)
    stamp_path.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return stamp


def check_stamp(stamp_path: Path, schema_dir: Path) -> list[str]:
    """Compare a stamp with the schema files and the installed generator.

    Parameters
    ----------
    stamp_path : Path
        The stamp JSON file.
    schema_dir : Path
        Directory holding ``<name>.graphql`` files.

    Returns
    -------
    list of str
        One message per problem: a schema whose sha256 differs from the stamp, a stamped
        schema file that is missing, a ``.graphql`` file with no stamp entry, or a
        generator version that differs from the installed one. Empty when all match.

    Raises
    ------
    SchemaRefreshError
        The stamp file is missing, unreadable or malformed.

    Examples
    --------
    >>> check_stamp(Path("schema/STAMP.json"), Path("schema"))  # doctest: +SKIP
    []
    """
    stamp = read_stamp(stamp_path)
    problems: list[str] = []
    recorded = stamp["generator"].get(GENERATOR)
    installed = generator_version()
    if recorded != installed:
        problems.append(
            f"{GENERATOR} version mismatch: {_display_path(stamp_path)} records {recorded!r},"
            f" installed is {installed!r}; regenerate the client"
        )
    schemas: dict[str, Any] = stamp["schemas"]
    for name in sorted(schemas):
        path = schema_dir / f"{name}.graphql"
        entry = schemas[name]
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        if not path.is_file():
            problems.append(f"{_display_path(path)}: stamped schema {name!r} is missing")
            continue
        actual = _sha256(path)
        if actual != expected:
            problems.append(
                f"{_display_path(path)}: sha256 mismatch (stamp {expected}, file {actual});"
                " the schema changed without regenerating the client and the stamp"
            )
    for path in sorted(schema_dir.glob("*.graphql")):
        if path.stem not in schemas:
            problems.append(
                f"{_display_path(path)}: schema has no entry in {_display_path(stamp_path)}"
            )
    return problems


# --------------------------------------------------------------------------- report


def format_report(
    name: str,
    schema_path: Path,
    status: str,
    report: Report | None,
    operations: Sequence[OperationResult],
    queries_dir: Path,
) -> str:
    """Render the refresh report as text.

    Parameters
    ----------
    name : str
        The schema name.
    schema_path : Path
        Where the SDL is (or would be) written.
    status : str
        What happened to the SDL file, e.g. ``written`` or ``unchanged``.
    report : Report or None
        The schema diff, or None when there was no previous schema.
    operations : sequence of OperationResult
        Validation results.
    queries_dir : Path
        The directory the operations came from.

    Returns
    -------
    str
        The report, ending with a newline.
    """
    lines = [f"Schema {name}: {_display_path(schema_path)} ({status})", ""]
    if report is None:
        lines += ["No previous schema: nothing to compare.", ""]
    else:
        for title, changes in (("Breaking", report.breaking), ("Dangerous", report.dangerous)):
            lines.append(f"{title} changes ({len(changes)}):")
            lines += [f"  {c.type}: {c.description}" for c in changes] or ["  (none)"]
            lines.append("")
    broken = [op for op in operations if not op.ok]
    valid = [op for op in operations if op.ok]
    lines.append(
        f"Operations in {_display_path(queries_dir)}: {len(operations)} checked,"
        f" {len(broken)} broken"
    )
    lines.append(f"Broken operations ({len(broken)}):")
    for op in broken:
        lines.append(f"  {op.file}: {op.kind} {op.name}")
        lines += [f"    {error}" for error in op.errors]
    if not broken:
        lines.append("  (none)")
    lines.append(f"Valid operations ({len(valid)}):")
    lines += [f"  {op.file}: {op.kind} {op.name}" for op in valid] or ["  (none)"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schema_refresh.py",
        description=(
            "Refresh schema/<name>.graphql from a GraphQL endpoint or a saved introspection"
            " result, update the stamp, and report breaking changes and broken operations."
        ),
        epilog=(
            "Exit status: 0 all operations validate; 1 an operation no longer validates"
            " (the SDL is still written unless --dry-run) or --check-stamp found problems;"
            " 2 bad input."
        ),
    )
    parser.add_argument(
        "source", nargs="?", metavar="SOURCE", help="endpoint URL or introspection JSON file"
    )
    parser.add_argument("--name", help="schema name, e.g. bilby or auth")
    parser.add_argument(
        "--schema-dir", type=Path, default=Path("schema"), help="default: %(default)s"
    )
    parser.add_argument(
        "--queries-dir", type=Path, help="operations to validate (default: queries/<name>)"
    )
    parser.add_argument("--stamp", type=Path, help="stamp file (default: <schema-dir>/STAMP.json)")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    parser.add_argument(
        "--drop-field",
        action="append",
        default=[],
        metavar="TYPE.FIELD",
        help="remove this field before recording (an announced removal); repeatable",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SDL",
        help="report changes against this SDL (default: the previous <schema-dir>/<name>.graphql)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check-stamp", type=Path, metavar="STAMP", help="check STAMP against the schema files"
    )
    mode.add_argument(
        "--write-stamp",
        type=Path,
        metavar="STAMP",
        help="stamp every <schema-dir>/*.graphql into STAMP",
    )
    return parser


def _refresh(args: argparse.Namespace) -> int:
    name: str = args.name
    schema_dir: Path = args.schema_dir
    queries_dir: Path = args.queries_dir or Path("queries") / name
    stamp_path: Path = args.stamp or schema_dir / "STAMP.json"
    schema_path = schema_dir / f"{name}.graphql"

    introspection = drop_fields(load_introspection(args.source), args.drop_field)
    schema = _client_schema(introspection)
    new_sdl = _print_sdl(schema)

    report: Report | None = None
    old_sdl: str | None = None
    if schema_path.exists():
        try:
            old_sdl = schema_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise SchemaRefreshError(f"{schema_path}: cannot read: {err}") from err
    baseline_path: Path | None = args.baseline or (schema_path if old_sdl is not None else None)
    if baseline_path is not None:
        try:
            baseline_sdl = baseline_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise SchemaRefreshError(f"{baseline_path}: cannot read: {err}") from err
        report = _diff(_schema_from_sdl(baseline_sdl, str(baseline_path)), schema)
    operations = validate_operations(schema, queries_dir)

    if args.dry_run:
        status = "dry run, not written"
    elif old_sdl == new_sdl:
        status = "unchanged"
        write_stamp(stamp_path, schema_dir, [name])
    else:
        schema_dir.mkdir(parents=True, exist_ok=True)
        schema_path.write_text(new_sdl, encoding="utf-8")
        write_stamp(stamp_path, schema_dir, [name])
        status = "written"
    text = format_report(name, schema_path, status, report, operations, queries_dir)
    if args.drop_field or args.baseline is not None:
        extra = [f"Dropped fields ({len(args.drop_field)}):"]
        extra += [f"  {spec}" for spec in args.drop_field] or ["  (none)"]
        if args.baseline is not None:
            extra.append(f"Changes reported against: {_display_path(args.baseline)}")
        head, _, tail = text.partition("\n\n")
        text = head + "\n\n" + "\n".join(extra) + "\n\n" + tail
    sys.stdout.write(text)
    return EXIT_OK if all(op.ok for op in operations) else EXIT_BROKEN


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line tool.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 success, 1 broken operations or stamp problems, 2 bad input.

    Examples
    --------
    >>> main(["schema/bilby.introspection.json", "--name", "bilby", "--dry-run"])  # doctest: +SKIP
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.check_stamp is not None:
            problems = check_stamp(args.check_stamp, args.schema_dir)
            for problem in problems:
                print(problem)
            if not problems:
                print(f"{args.check_stamp}: schemas and generator match the stamp")
            return EXIT_BROKEN if problems else EXIT_OK
        if args.write_stamp is not None:
            names = sorted(p.stem for p in args.schema_dir.glob("*.graphql"))
            write_stamp(args.write_stamp, args.schema_dir, names)
            print(f"{args.write_stamp}: stamped {', '.join(names) or 'no schemas'}")
            return EXIT_OK
        if args.source is None or args.name is None:
            parser.error("SOURCE and --name are required unless --check-stamp/--write-stamp")
        return _refresh(args)
    except SchemaRefreshError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())

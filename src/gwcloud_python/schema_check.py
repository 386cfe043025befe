"""Check the GraphQL operations this library sends against a live GWCloud schema.

When a call that used to work suddenly fails with a GraphQL error, the service may have
changed its schema. :func:`check_schema` asks the service for its schema (a standard
introspection query, no token needed), validates every operation gwcloud-python ships
(the ``.graphql`` files it was generated from) against it, and names the library methods
each broken operation would break. ``gwcloud schema-check`` runs it from the shell::

    $ gwcloud schema-check --endpoint https://gwcloud.org.au/graphql
    Schema check of https://gwcloud.org.au/graphql (2026 service): 34 operations, 0 broken
    ...

The operations come from the installed package (``gwcloud_python/_queries`` in a wheel) or,
in a source checkout, from the repository's ``queries/`` directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import httpx
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    build_client_schema,
    build_schema,
    get_introspection_query,
    parse,
    validate,
)
from graphql import GraphQLError as _GraphQLCoreError
from graphql.utilities import IntrospectionQuery

from . import _constants as C
from ._errors import GWCloudError, TransportError
from ._profiles import resolve_profile
from ._transport import map_transport_errors

__all__ = [
    "INTROSPECTION_TIMEOUT",
    "LIGO_FLAG_ONLY",
    "LIGO_FLAG_TWINS",
    "OPERATION_METHODS",
    "OperationCheck",
    "SchemaCheckError",
    "SchemaCheckReport",
    "check_schema",
    "fetch_schema",
    "operation_groups",
    "queries_dir",
    "used_fragments",
    "validate_operations",
]

#: Seconds allowed for each introspection request.
INTROSPECTION_TIMEOUT = 30.0

_AUTHENTICATED = "GWCloud(token=...): every authenticated call"
_FILES = (
    "GWCloud.get_files_by_reference",
    "GWCloud.save_files_by_reference",
    "BilbyJob.get_default_files / get_config_files / get_png_files / get_corner_plot_files"
    " / get_result_json_files (and save_*)",
)
_SUBMIT = ("GWCloud.start_bilby_job_from_string", "GWCloud.start_bilby_job_from_file")
_UPLOAD = ("GWCloud.upload_job_archive", "GWCloud.upload_job_directory")

#: Which public methods send each operation (``AsyncGWCloud`` and ``AsyncBilbyJob`` have
#: the same method names). A method that returns a job after creating one also depends on
#: ``BilbyJob``.
OPERATION_METHODS: Mapping[str, tuple[str, ...]] = {
    "PublicBilbyJobs": (
        "GWCloud.get_public_job_list",
        "GWCloud.iter_public_jobs",
        "GWCloud.get_official_job_list",
    ),
    "BilbyJobs": ("GWCloud.get_user_jobs", "GWCloud.iter_user_jobs"),
    "BilbyJobsById": ("gwcloud jobs search --json (command line)",),
    "BilbyJob": (
        "GWCloud.get_job_by_id",
        *_SUBMIT,
        "GWCloud.upload_external_job",
        *_UPLOAD,
        "GWCloud.upload_hdf5_job",
    ),
    "BilbyResultFiles": (
        "BilbyJob.get_full_file_list",
        "BilbyJob.get_*_file_list, get_*_files, save_*_files",
    ),
    "GenerateFileDownloadIds": _FILES,
    "NewBilbyJobFromIniString": _SUBMIT,
    "UploadSupportingFiles": tuple(f"{m} (with supporting files)" for m in _SUBMIT),
    "UploadExternalBilbyJob": ("GWCloud.upload_external_job",),
    "GenerateBilbyJobUploadToken": (*_UPLOAD, "GWCloud.upload_hdf5_job"),
    "UploadBilbyJob": _UPLOAD,
    "UploadHdf5BilbyJob": ("GWCloud.upload_hdf5_job",),
    "UpdateBilbyJob": (
        "BilbyJob.set_name",
        "BilbyJob.set_description",
        "BilbyJob.set_event_id",
    ),
    "CreateEventId": ("GWCloud.create_event_id",),
    "UpdateEventId": ("GWCloud.update_event_id",),
    "CreateEventIdWithLigoFlag": ("GWCloud.create_event_id (is_ligo_event=True)",),
    "UpdateEventIdWithLigoFlag": ("GWCloud.update_event_id (is_ligo_event=True or False)",),
    "DeleteEventId": ("GWCloud.delete_event_id",),
    "EventId": ("GWCloud.get_event_id", "GWCloud.create_event_id", "GWCloud.update_event_id"),
    "AllEventIds": ("GWCloud.get_all_event_ids",),
    "JwtToken": (_AUTHENTICATED + " (2023 service)",),
    "RefreshToken": (_AUTHENTICATED + " (2023 service, after the JWT expires)",),
    "SessionUser": ("GWCloud(token=...): the token check at construction (2026 service)",),
    # GWFlow (2026 service only). download_gwflow_file sends no GraphQL operation: the
    # file's download token goes straight to the service's file_download/ route.
    "UpsertGwflowJob": ("GWCloud.upsert_gwflow_job",),
    "UploadGwflowFile": ("GWCloud.upload_gwflow_file", "GWCloud.mirror_gwflow_files"),
    "GwflowPendingFiles": ("GWCloud.get_gwflow_pending_files", "GWCloud.mirror_gwflow_files"),
    "LinkBilbyJobToGwflow": ("GWCloud.link_bilby_job_to_gwflow",),
    "GwflowJobs": ("GWCloud.get_gwflow_job_list",),
    "GwflowJob": (
        "GWCloud.get_gwflow_job (job_id=...)",
        "GWCloud.save_gwflow_files (given a listed GWFlowJob)",
    ),
    "GwflowJobBySname": (
        "GWCloud.get_gwflow_job (by sname)",
        "GWCloud.save_gwflow_files (given an sname)",
    ),
}
#: The reads that select the LIGO flag, ``isLigoEvent``, and their twins without it. A
#: client falls back to the twin when the service refuses the first (see
#: ``ClientCore._ligo_flag``), so each twin is sent by the same methods.
LIGO_FLAG_TWINS: Mapping[str, str] = {
    "EventId": "EventIdNoLigoFlag",
    "AllEventIds": "AllEventIdsNoLigoFlag",
    "BilbyJob": "BilbyJobNoLigoFlag",
    "BilbyJobs": "BilbyJobsNoLigoFlag",
    "BilbyJobsById": "BilbyJobsByIdNoLigoFlag",
    "PublicBilbyJobs": "PublicBilbyJobsNoLigoFlag",
}
OPERATION_METHODS = {
    **OPERATION_METHODS,
    **{twin: OPERATION_METHODS[full] for full, twin in LIGO_FLAG_TWINS.items()},
}
#: Sent only when a caller passes ``is_ligo_event=``; a client that finds the service
#: without the flag raises ValidationError for that argument instead.
LIGO_FLAG_ONLY = frozenset({"CreateEventIdWithLigoFlag", "UpdateEventIdWithLigoFlag"})


class SchemaCheckError(GWCloudError):
    """The service's schema could not be read (introspection refused or malformed)."""


@dataclass(frozen=True)
class OperationCheck:
    """How one shipped operation fares against a service's schema.

    Attributes
    ----------
    name : str
        The operation name, e.g. ``"PublicBilbyJobs"``.
    kind : str
        ``"query"`` or ``"mutation"`` (``"syntax"`` when the file itself does not parse).
    file : str
        The operation's file, relative to the queries directory (``bilby/bilby_job.graphql``).
    endpoint : str
        The GraphQL endpoint whose schema it was validated against.
    methods : tuple of str
        The library methods that send this operation.
    errors : tuple of str
        Validation errors, each with ``file:line:column`` when known; empty when valid.
    tolerated : str
        Why the errors do not break a method, when they do not (else ``""``): the
        operation names the LIGO flag that the service has dropped, and the client
        falls back to a twin that validates, or refuses ``is_ligo_event=`` itself.
    """

    name: str
    kind: str
    file: str
    endpoint: str
    methods: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    tolerated: str = ""

    @property
    def ok(self) -> bool:
        """bool: Whether the operation validates, or its errors are tolerated."""
        return not self.errors or bool(self.tolerated)


@dataclass(frozen=True)
class SchemaCheckReport:
    """The outcome of :func:`check_schema`.

    Attributes
    ----------
    service : str
        ``"2023"`` or ``"2026"``: which deployment shape was checked.
    endpoints : tuple of str
        The endpoints that were introspected.
    operations : tuple of OperationCheck
        One entry per shipped operation, in file order.
    """

    service: str
    endpoints: tuple[str, ...]
    operations: tuple[OperationCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """bool: Whether every operation validates."""
        return all(op.ok for op in self.operations)

    @property
    def broken(self) -> tuple[OperationCheck, ...]:
        """tuple of OperationCheck: The operations that no longer validate."""
        return tuple(op for op in self.operations if not op.ok)

    def broken_methods(self) -> dict[str, list[str]]:
        """Map each library method that would fail to the broken operations it sends.

        Returns
        -------
        dict of str to list of str
            Method name → operation names, both sorted.
        """
        methods: dict[str, list[str]] = {}
        for op in self.broken:
            for method in op.methods or (f"(operation {op.name})",):
                methods.setdefault(method, []).append(op.name)
        return {m: sorted(set(ops)) for m, ops in sorted(methods.items())}

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data.

        Returns
        -------
        dict
            ``service``, ``endpoints``, ``ok``, ``broken_methods`` and ``operations``
            (each with ``name``, ``kind``, ``file``, ``endpoint``, ``methods``, ``errors``
            and ``ok``).
        """
        return {
            "service": self.service,
            "endpoints": list(self.endpoints),
            "ok": self.ok,
            "broken_methods": self.broken_methods(),
            "operations": [
                {
                    "name": op.name,
                    "kind": op.kind,
                    "file": op.file,
                    "endpoint": op.endpoint,
                    "methods": list(op.methods),
                    "errors": list(op.errors),
                    "tolerated": op.tolerated,
                    "ok": op.ok,
                }
                for op in self.operations
            ],
        }

    def format(self, *, verbose: bool = False) -> str:
        """Render the report as text for a terminal.

        Parameters
        ----------
        verbose : bool, optional
            Also list every operation that validates (default False).

        Returns
        -------
        str
            The report, ending with a newline.
        """
        broken = self.broken
        lines = [
            f"Schema check of {', '.join(self.endpoints)} ({self.service} service):"
            f" {len(self.operations)} operations, {len(broken)} broken"
        ]
        if broken:
            lines += ["", "Methods that would fail:"]
            for method, ops in self.broken_methods().items():
                lines.append(f"  {method}: {', '.join(ops)}")
            lines += ["", "Broken operations:"]
            for op in broken:
                lines.append(f"  {op.kind} {op.name} ({op.file}, against {op.endpoint})")
                lines += [f"    {error}" for error in op.errors]
            lines += [
                "",
                "The service's schema no longer matches this gwcloud-python. Upgrade"
                " gwcloud-python, or report the output above.",
            ]
        tolerated = [op for op in self.operations if op.errors and op.tolerated]
        if not broken and tolerated:
            lines.append("Every method works against the service (some through a fallback).")
        elif not broken:
            lines.append("Every operation this library sends validates against the service.")
        if tolerated:
            lines += ["", "Operations that do not validate, as the service has no LIGO flag:"]
            lines += [f"  {op.kind} {op.name}: {op.tolerated}" for op in tolerated]
        if verbose:
            lines += ["", "Valid operations:"]
            lines += [f"  {op.kind} {op.name} ({op.file})" for op in self.operations if op.ok]
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- operations


def queries_dir() -> Path:
    """Return the directory holding the shipped ``.graphql`` operations.

    Returns
    -------
    Path
        ``gwcloud_python/_queries`` in an installed wheel, else the ``queries/`` directory
        of the source checkout this module was imported from.

    Raises
    ------
    SchemaCheckError
        Neither location exists.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_queries"
    if packaged.is_dir():
        return packaged
    checkout = here.parents[1] / "queries"
    if (checkout / "bilby").is_dir():
        return checkout
    raise SchemaCheckError(f"cannot find the GraphQL operations (looked in {packaged})")


def operation_groups(service: str) -> dict[str, tuple[str, ...]]:
    """Return which operation directories are sent to which endpoint role.

    Parameters
    ----------
    service : {"2023", "2026"}
        The deployment shape.

    Returns
    -------
    dict of str to tuple of str
        ``"endpoint"`` (and, for 2023, ``"auth_endpoint"``) → subdirectories of
        :func:`queries_dir`.
    """
    if service == "2026":
        return {"endpoint": ("bilby", "bilby2026")}
    return {"endpoint": ("bilby",), "auth_endpoint": ("auth",)}


def _spreads(selection_set: SelectionSetNode | None) -> set[str]:
    names: set[str] = set()
    if selection_set is None:
        return names
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            names.add(selection.name.value)
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            names |= _spreads(selection.selection_set)
    return names


def used_fragments(
    operation: OperationDefinitionNode, pool: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """Return the fragments an operation needs, directly or through other fragments.

    Parameters
    ----------
    operation : graphql.OperationDefinitionNode
        A parsed operation.
    pool : mapping of str to graphql.FragmentDefinitionNode
        Every fragment available, by name.

    Returns
    -------
    list of graphql.FragmentDefinitionNode
        The fragments reached from the operation's selections, sorted by name.  A
        spread of a fragment missing from ``pool`` is left for validation to report.
    """
    seen: set[str] = set()
    pending = sorted(_spreads(operation.selection_set))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        fragment = pool.get(name)
        if fragment is not None:
            pending.extend(sorted(_spreads(fragment.selection_set) - seen))
    return [pool[name] for name in sorted(seen) if name in pool]


def _format_error(error: _GraphQLCoreError) -> str:
    if error.source is not None and error.locations:
        loc = error.locations[0]
        return f"{error.source.name}:{loc.line}:{loc.column}: {error.message}"
    return error.message


def validate_operations(
    schema: GraphQLSchema,
    groups: Iterable[str],
    *,
    endpoint: str = "",
    directory: Path | None = None,
) -> list[OperationCheck]:
    """Validate the shipped operations of some groups against a schema.

    Fragments are shared across the files of the groups checked together; each operation
    is validated with the fragments it uses.

    Parameters
    ----------
    schema : GraphQLSchema
        The schema to validate against.
    groups : iterable of str
        Subdirectories of the queries directory, e.g. ``["bilby", "bilby2026"]``.
    endpoint : str, optional
        Recorded in each result (where the schema came from).
    directory : Path, optional
        The queries directory; :func:`queries_dir` by default.

    Returns
    -------
    list of OperationCheck
        One per operation, sorted by file.

    Raises
    ------
    SchemaCheckError
        A group directory is missing or a file cannot be read.
    """
    root = directory if directory is not None else queries_dir()
    documents: list[tuple[str, DocumentNode]] = []
    results: list[OperationCheck] = []
    for group in groups:
        folder = root / group
        if not folder.is_dir():
            raise SchemaCheckError(f"{folder}: no such operations directory")
        for path in sorted(folder.glob("*.graphql")):
            label = f"{group}/{path.name}"
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise SchemaCheckError(f"{path}: cannot read: {err}") from err
            try:
                documents.append((label, parse(Source(text, label))))
            except _GraphQLCoreError as err:
                error = (_format_error(err),)
                results.append(OperationCheck(path.stem, "syntax", label, endpoint, (), error))
    pool: dict[str, FragmentDefinitionNode] = {}
    for _, document in documents:
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                pool.setdefault(definition.name.value, definition)
    for label, document in documents:
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            name = definition.name.value if definition.name else "<anonymous>"
            used = used_fragments(definition, pool)
            errors = validate(schema, DocumentNode(definitions=(definition, *used)))
            results.append(
                OperationCheck(
                    name=name,
                    kind=definition.operation.value,
                    file=label,
                    endpoint=endpoint,
                    methods=tuple(OPERATION_METHODS.get(name, ())),
                    errors=tuple(_format_error(e) for e in errors),
                )
            )
    results.sort(key=lambda r: r.file)
    return _tolerate_missing_ligo_flag(results)


def _tolerate_missing_ligo_flag(results: list[OperationCheck]) -> list[OperationCheck]:
    """Mark the failures that a service without ``isLigoEvent`` causes and the client copes with."""
    valid = {op.name for op in results if not op.errors}
    marked: list[OperationCheck] = []
    for op in results:
        # The client falls back only when the service names isLigoEvent: so must every error.
        flag_only = bool(op.errors) and all("'isLigoEvent'" in e for e in op.errors)
        twin = LIGO_FLAG_TWINS.get(op.name)
        if flag_only and twin in valid:
            op = replace(op, tolerated=f"the client falls back to {twin}")
        elif flag_only and op.name in LIGO_FLAG_ONLY:
            op = replace(op, tolerated="sent only for is_ligo_event=; refused as a ValidationError")
        marked.append(op)
    return marked


# --------------------------------------------------------------------------- schema


def _schema_from_introspection(body: object, url: str) -> GraphQLSchema:
    if not isinstance(body, dict):
        raise SchemaCheckError(f"{url} did not answer the introspection query with a JSON object")
    errors = body.get("errors")
    if errors:
        messages = [
            str(e.get("message", e)) if isinstance(e, dict) else str(e)
            for e in (errors if isinstance(errors, list) else [errors])
        ]
        raise SchemaCheckError(
            f"{url} refused the introspection query: {'; '.join(messages)[:500]}"
        )
    data = body.get("data")
    schema = data.get("__schema") if isinstance(data, dict) else None
    if not isinstance(schema, dict):
        raise SchemaCheckError(f"{url} answered without a schema (no data.__schema)")
    try:
        return build_client_schema(cast(IntrospectionQuery, {"__schema": schema}))
    except (_GraphQLCoreError, TypeError, KeyError, ValueError, AttributeError) as err:
        raise SchemaCheckError(f"{url} answered with an invalid schema: {err}") from err


def fetch_schema(
    url: str, *, timeout: float = INTROSPECTION_TIMEOUT, http_client: httpx.Client | None = None
) -> GraphQLSchema:
    """Introspect a GraphQL endpoint and build its schema.

    Parameters
    ----------
    url : str
        The GraphQL endpoint.
    timeout : float, optional
        Seconds allowed for the request (default 30).
    http_client : httpx.Client, optional
        The client to send with; a new one (closed afterwards) by default.

    Returns
    -------
    GraphQLSchema
        The service's schema, as the service describes it.

    Raises
    ------
    TransportError
        The endpoint cannot be reached, times out or answers with an HTTP error.
    SchemaCheckError
        The answer is not an introspection result (for example introspection is disabled).
    """
    payload = {"query": get_introspection_query(), "operationName": "IntrospectionQuery"}
    client = http_client if http_client is not None else httpx.Client(timeout=timeout)
    try:
        with map_transport_errors(url, operation_name="IntrospectionQuery"):
            response = client.post(url, json=payload, headers={"Accept": "application/json"})
    finally:
        if http_client is None:
            client.close()
    if not response.is_success:
        hint = ""
        if response.status_code == 404:
            hint = " (is this the GraphQL endpoint? e.g. <base>/graphql or <base>/bilby/graphql)"
        raise TransportError(
            f"{url} answered HTTP {response.status_code} to the introspection query{hint}",
            url=url,
            status_code=response.status_code,
        )
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError) as err:
        raise SchemaCheckError(f"{url} did not answer with JSON") from err
    return _schema_from_introspection(body, url)


def check_schema(
    endpoint: str | None = None,
    *,
    auth_endpoint: str | None = None,
    service: str | None = None,
    timeout: float = INTROSPECTION_TIMEOUT,
    schemas: Mapping[str, GraphQLSchema | str] | None = None,
) -> SchemaCheckReport:
    """Validate every operation this library sends against the service's live schema.

    The first thing to run when a call that used to work fails with a GraphQL error: it
    tells whether the service changed its schema, and which methods that breaks.

    Parameters
    ----------
    endpoint : str, optional
        The GraphQL endpoint, as given to :class:`~gwcloud_python.GWCloud`; defaults to the
        ``GWCLOUD_ENDPOINT`` environment variable, else the public 2023 Bilby endpoint.
    auth_endpoint : str, optional
        The 2023 auth endpoint; defaults to ``GWCLOUD_AUTH_ENDPOINT``, else the public one.
    service : {"2023", "2026"}, optional
        The deployment shape; detected from the endpoint like ``GWCloud`` does.
    timeout : float, optional
        Seconds allowed for each introspection request (default 30).
    schemas : mapping, optional
        Schemas to use instead of introspecting, keyed by endpoint URL: a
        ``GraphQLSchema`` or SDL text (for checking a saved or edited schema offline).

    Returns
    -------
    SchemaCheckReport
        Per operation: valid or the errors, and the methods it affects.

    Raises
    ------
    ValidationError
        A malformed endpoint URL or an unknown ``service``.
    TransportError
        An endpoint cannot be reached or answers with an HTTP error.
    SchemaCheckError
        An endpoint does not answer the introspection query with a schema.

    Examples
    --------
    >>> report = check_schema("https://gwcloud.org.au/graphql")  # doctest: +SKIP
    >>> report.ok, report.broken_methods()  # doctest: +SKIP
    (True, {})
    """
    env_auth = os.environ.get(C.ENV_AUTH_ENDPOINT)
    auth_given = auth_endpoint is not None or bool(env_auth)
    profile = resolve_profile(
        endpoint=endpoint or os.environ.get(C.ENV_ENDPOINT) or C.DEFAULT_ENDPOINT,
        auth_endpoint=auth_endpoint or env_auth or C.DEFAULT_AUTH_ENDPOINT,
        auth_endpoint_given=auth_given,
        service=service,
    )
    urls = {"endpoint": profile.endpoint, "auth_endpoint": profile.auth_endpoint}
    checked: list[str] = []
    operations: list[OperationCheck] = []
    for role, groups in operation_groups(profile.service).items():
        url = urls[role]
        if url is None:
            continue
        given = (schemas or {}).get(url)
        if isinstance(given, str):
            schema = build_schema(given)
        elif given is not None:
            schema = given
        else:
            schema = fetch_schema(url, timeout=timeout)
        checked.append(url)
        operations += validate_operations(schema, groups, endpoint=url)
    return SchemaCheckReport(profile.service, tuple(checked), tuple(operations))

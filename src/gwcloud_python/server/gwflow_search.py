"""The ``gwflowJobs`` listing: a Lucene-like search over the jobs' current state.

**Decision (GWFLOW.md §12).** The real service searches an Elasticsearch index that
only an upsert carrying ``metadata`` rewrites, so jobs upserted without metadata are
missing and a pruned job can empty whole pages.  The local server does *not* emulate
that staleness: every call searches the current database state (the job columns,
its owner and event, its linked Bilby jobs and the last valid ``metadata`` stored by
an upsert).  It keeps the wire quirks a client can observe:

* page size = ``first`` when given and non-zero, else 20; ``page size + 1`` hits are
  taken from offset ``n`` of an ``after`` cursor ``base64("arrayconnection:<n>")``
  (a malformed cursor is the first page) and the list is padded and sliced like
  graphql-relay does, so without ``first`` 21 jobs come back with ``hasNextPage``
  false, and with ``first`` the last job of page 1 is repeated as the first of page 2;
* ``cursor`` and ``count`` are ignored; ``timeRange`` is ``all``/``1d``/``1w``/``1m``
  (31 days)/``1y`` (365 days) on the last update, anything else means ``all``;
* non-LIGO callers never see LIGO-only jobs, pruned jobs are left out unless
  ``includePruned``, a search containing ``_private_info_`` answers nothing, and the
  order is last update, newest first.

**Search syntax** (a subset of Lucene ``query_string``): plain terms, ``"quoted
phrases"``, ``field:value`` and ``field:(a OR b)``, a trailing (or inner) ``*`` or
``?`` wildcard, ``AND``, ``OR``, ``NOT``, ``-term``/``+term`` and parentheses.  Adjacent
terms are joined by ``OR``, Elasticsearch's default operator.  Matching ignores case;
a value matches a field when it equals the whole field value or a run of its words
(words are split at anything but letters and digits).  Field names are those of the
real search document (``sname``, ``libraries``, ``schemaVersion``, ``user.name``,
``eventId.triggerId``, ``analyses.software``, ``gracedb.uids``, ``childJobIds``...), may
hold ``*``, and an unknown field matches nothing.  Malformed syntax is a GraphQL error
worded like Elasticsearch's 400 answer.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from .auth import User
from .errors import ServiceError
from .gwflow import gwflow_job_value, job_rows
from .ids import encode_cursor
from .state import ServerState

__all__ = ["gwflow_connection", "list_gwflow_jobs", "matches", "parse_search", "search_document"]

_TIME_RANGES = {"1d": 86400.0, "1w": 7 * 86400.0, "1m": 31 * 86400.0, "1y": 365 * 86400.0}
_SECTIONS = {
    "parameterestimation": "pe",
    "parameter_estimation": "pe",
    "pe": "pe",
    "tgr": "tgr",
    "lensing": "lensing",
    "matter": "matter",
    "cosmology": "cosmology",
    "rnp": "rnp",
}
_WORD = re.compile(r"[^\W_]+")
_FIELD = re.compile(r"^([A-Za-z_*][\w.*]*):(.*)\Z", re.DOTALL)
_PREFIX = "arrayconnection:"


# -- the search document -------------------------------------------------------------------


def _names(raw: Any) -> list[str]:
    if not raw:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [str(i.get("name") if isinstance(i, dict) else i) for i in items if i]


def _analyses(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the analysis sections of cbcflow metadata into analysis records."""
    found: list[dict[str, Any]] = []
    for key, section in metadata.items():
        kind = _SECTIONS.get(str(key).lower())
        if kind is None:
            continue
        if isinstance(section, dict):
            listed = section.get("results")
            items = listed if isinstance(listed, list) else [section]
        else:
            items = section if isinstance(section, list) else []
        for item in items:
            if not isinstance(item, dict):
                continue
            found.append(
                {
                    "uid": str(item.get("uid") or item.get("id") or ""),
                    "type": kind,
                    "software": str(item.get("inference_software") or item.get("software") or ""),
                    "waveform": str(item.get("waveform_approximant") or item.get("waveform") or ""),
                    "runStatus": str(item.get("run_status") or ""),
                    "reviewStatus": str(item.get("review_status") or ""),
                    "analysts": _names(item.get("analysts")),
                    "reviewers": _names(item.get("reviewers")),
                }
            )
    return found


def _gracedb(metadata: dict[str, Any]) -> dict[str, Any]:
    section = metadata.get("GraceDB") or metadata.get("gracedb") or {}
    if not isinstance(section, dict):
        return {}
    events = section.get("Events") or section.get("events") or []
    uids = []
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict):
            uid = event.get("uid") or event.get("id") or event.get("name")
        else:
            uid = event
        if uid:
            uids.append(str(uid))
    return {
        "uids": uids,
        "gpsTime": str(section.get("preferred_event_gps") or section.get("gps_time") or ""),
        "far": str(section.get("preferred_event_far") or section.get("far") or ""),
        "instruments": str(section.get("instruments") or ""),
    }


def search_document(row: Any, child_ids: list[int]) -> dict[str, list[str]]:
    """Return the searchable values of one job, keyed by lower-case dotted field name.

    Parameters
    ----------
    row : sqlite3.Row
        A row of :func:`~gwcloud_python.server.gwflow.job_rows`.
    child_ids : list of int
        Primary keys of the Bilby jobs linked to it.

    Returns
    -------
    dict
        Field name (``sname``, ``analyses.software``...) to its values as text.
    """
    value = gwflow_job_value(row, None)
    doc: dict[str, list[str]] = {
        "sname": [value["sname"]],
        "schemaversion": [value["schema_version"]],
        "libraries": [str(lib) for lib in value["libraries"]],
        "ispruned": [str(value["is_pruned"]).lower()],
        "ligoonly": [str(value["ligo_only"]).lower()],
        "user.name": [value["user"]],
        "currenthistoryid": [value["current_history_id"]],
        "currenthistorytimestamp": [str(row["current_history_timestamp"] or "")],
        "creationtime": [value["creation_time"].isoformat()],
        "childjobids": [str(pk) for pk in child_ids],
    }
    if row["e_event_id"] is not None:
        doc["eventid.eventid"] = [str(row["e_event_id"])]
        doc["eventid.triggerid"] = [str(row["e_trigger_id"] or "")]
        doc["eventid.nickname"] = [str(row["e_nickname"] or "")]
        doc["eventid.gpstime"] = [str(row["e_gps_time"])]
    try:
        metadata = json.loads(row["metadata"]) if row["metadata"] else {}
    except ValueError:
        metadata = {}
    if isinstance(metadata, dict):
        for analysis in _analyses(metadata):
            for key, item in analysis.items():
                values = item if isinstance(item, list) else [item]
                doc.setdefault(f"analyses.{key.lower()}", []).extend(values)
        for key, item in _gracedb(metadata).items():
            doc[f"gracedb.{key.lower()}"] = item if isinstance(item, list) else [item]
    return {key: [v for v in values if v != ""] for key, values in doc.items()}


# -- the query language ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    field: str | None
    value: str
    phrase: bool


@dataclass(frozen=True)
class _Bool:
    op: str  # "and", "or", "not"
    parts: tuple[Any, ...]


def _malformed(search: str) -> ServiceError:
    shown = search if len(search) <= 200 else search[:200] + "..."
    return ServiceError(
        f"BadRequestError(400, 'search_phase_execution_exception', "
        f"'Failed to parse query [{shown}]')"
    )


def _tokens(search: str) -> list[tuple[str, str]]:
    """Split a search into (kind, text): ``(``, ``)``, ``op``, ``word`` and ``phrase``."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(search)
    while i < n:
        ch = search[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append((ch, ch))
            i += 1
        elif ch == '"':
            end = search.find('"', i + 1)
            if end < 0:
                raise _malformed(search)
            out.append(("phrase", search[i + 1 : end]))
            i = end + 1
        else:
            start = i
            word: list[str] = []
            while i < n and not search[i].isspace() and search[i] not in "()":
                if search[i] == "\\" and i + 1 < n:
                    word.append(search[i + 1])
                    i += 2
                    continue
                if search[i] == '"' and word and word[-1] == ":":
                    break  # field:"phrase"
                word.append(search[i])
                i += 1
            text = "".join(word)
            kind = "op" if search[start:i] in ("AND", "OR", "NOT", "&&", "||") else "word"
            out.append((kind, text))
    return out


class _Parser:
    def __init__(self, search: str, tokens: list[tuple[str, str]]) -> None:
        self.search = search
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _malformed(self.search)
        self.pos += 1
        return token

    def query(self, field: str | None) -> Any:
        parts = [self.conjunction(field)]
        while (token := self.peek()) is not None and token[0] != ")":
            if token[0] == "op" and token[1] in ("OR", "||"):
                self.pos += 1
            parts.append(self.conjunction(field))
        return parts[0] if len(parts) == 1 else _Bool("or", tuple(parts))

    def conjunction(self, field: str | None) -> Any:
        parts = [self.unary(field)]
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in ("AND", "&&"):
            self.pos += 1
            parts.append(self.unary(field))
        return parts[0] if len(parts) == 1 else _Bool("and", tuple(parts))

    def unary(self, field: str | None) -> Any:
        kind, text = self.take()
        if kind == "op" and text == "NOT":
            return _Bool("not", (self.unary(field),))
        if kind == "op":
            raise _malformed(self.search)
        if kind == "word" and text[:1] in "-+!" and len(text) > 1:
            inner = self.atom(field, "word", text[1:])
            return inner if text[0] == "+" else _Bool("not", (inner,))
        return self.atom(field, kind, text)

    def atom(self, field: str | None, kind: str, text: str) -> Any:
        if kind == "(":
            inner = self.query(field)
            if self.take()[0] != ")":
                raise _malformed(self.search)
            return inner
        if kind == ")":
            raise _malformed(self.search)
        if kind == "phrase":
            return _Term(field, text, True)
        match = _FIELD.match(text)
        if match is not None and field is None:
            name, value = match.group(1), match.group(2)
            if value:
                return _Term(name, value, False)
            nxt = self.take()
            if nxt[0] == "phrase":
                return _Term(name, nxt[1], True)
            if nxt[0] == "(":
                return self.atom(name, "(", "(")
            raise _malformed(self.search)
        if text in ("", ":") or text.endswith(":"):
            raise _malformed(self.search)
        return _Term(field, text, False)


def parse_search(search: str, *, max_terms: int = 32, max_length: int = 256) -> Any:
    """Parse a search string into a query tree.

    Parameters
    ----------
    search : str
        The ``search`` argument.
    max_terms : int
        Most tokens accepted.
    max_length : int
        Longest token accepted.

    Returns
    -------
    object
        The parsed query (None matches everything).

    Raises
    ------
    ServiceError
        For malformed syntax, too many tokens or a token too long.
    """
    if search.strip() in ("", "*"):
        return None
    tokens = _tokens(search)
    if len(tokens) > max_terms:
        raise ServiceError(f"The search has {len(tokens)} terms; at most {max_terms} are allowed.")
    for _kind, text in tokens:
        if len(text) > max_length:
            raise ServiceError(
                f"The search term {text[:40]!r}... is {len(text)} characters long; "
                f"at most {max_length} are allowed."
            )
    parser = _Parser(search, tokens)
    tree = parser.query(None)
    if parser.peek() is not None:  # a stray ")"
        raise _malformed(search)
    return tree


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _value_matches(term: _Term, value: str) -> bool:
    wanted = term.value.lower()
    have = value.lower()
    if not term.phrase and ("*" in wanted or "?" in wanted):
        wanted = wanted.replace("[", "[[]")  # Lucene has no character classes
        return fnmatch.fnmatchcase(have, wanted) or any(
            fnmatch.fnmatchcase(word, wanted) for word in _words(have)
        )
    if wanted == have:
        return True
    needle, words = _words(wanted), _words(have)
    if not needle:
        return False
    size = len(needle)
    return any(words[i : i + size] == needle for i in range(len(words) - size + 1))


def matches(tree: Any, doc: dict[str, list[str]]) -> bool:
    """Tell whether a search document satisfies a parsed query.

    Parameters
    ----------
    tree : object
        From :func:`parse_search`.
    doc : dict
        From :func:`search_document`.

    Returns
    -------
    bool
        Whether the job matches.
    """
    if tree is None:
        return True
    if isinstance(tree, _Bool):
        if tree.op == "and":
            return all(matches(part, doc) for part in tree.parts)
        if tree.op == "or":
            return any(matches(part, doc) for part in tree.parts)
        return not matches(tree.parts[0], doc)
    if tree.field is None or tree.field == "*":
        fields = list(doc)
    else:
        pattern = tree.field.lower()
        fields = [key for key in doc if fnmatch.fnmatchcase(key, pattern)]
    if tree.value == "*" and not tree.phrase:
        return any(doc[key] for key in fields)
    return any(_value_matches(tree, value) for key in fields for value in doc[key])


# -- listing and paging ----------------------------------------------------------------------


def list_gwflow_jobs(
    state: ServerState,
    user: User | None,
    *,
    search: str,
    time_range: str,
    include_pruned: bool,
    offset: int,
    size: int,
) -> list[dict[str, Any]]:
    """Return up to ``size`` matching jobs from ``offset``, newest update first.

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User or None
        The caller (LIGO-only jobs for LIGO users only).
    search : str
        The search string.
    time_range : str
        ``all``, ``1d``, ``1w``, ``1m`` or ``1y`` (others: ``all``).
    include_pruned : bool
        Include pruned jobs.
    offset : int
        Hits to skip.
    size : int
        Hits wanted.

    Returns
    -------
    list of dict
        ``GWFlowJob`` values.
    """
    if "_private_info_" in search:
        return []
    config = state.config
    tree = parse_search(
        search, max_terms=config.max_search_terms, max_length=config.max_search_term_length
    )
    where = ["1=1"]
    params: list[Any] = []
    if not (user is not None and user.is_ligo):
        where.append("g.ligo_only = 0")
    if not include_pruned:
        where.append("g.is_pruned = 0")
    span = _TIME_RANGES.get(time_range)
    if span is not None:
        where.append("g.last_updated >= ?")
        params.append(time.time() - span)
    rows = job_rows(
        state, " AND ".join(where), tuple(params), "ORDER BY g.last_updated DESC, g.id DESC"
    )
    children: dict[int, list[int]] = {}
    if tree is not None:
        for link in state.db.query(
            "SELECT id, gwflow_job_id FROM jobs WHERE gwflow_job_id IS NOT NULL ORDER BY id"
        ):
            children.setdefault(int(link["gwflow_job_id"]), []).append(int(link["id"]))
    hits = [
        row
        for row in rows
        if tree is None or matches(tree, search_document(row, children.get(int(row["id"]), [])))
    ]
    return [gwflow_job_value(row, user) for row in hits[offset : offset + size]]


def _unbase64(text: str) -> str:
    try:
        return base64.b64decode(text.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return ""


def _hit_offset(after: str | None) -> int | None:
    """The resolver's reading of ``after``: the integer after the first ``:``."""
    if after is None:
        return None
    text = _unbase64(after)
    try:
        value = int(text.split(":", 1)[1] if ":" in text else text)
    except ValueError:
        return None
    return value if value >= 0 else None


def _cursor_offset(cursor: str | None) -> int | None:
    """graphql-relay's reading of a cursor (the prefix is skipped, not checked)."""
    if cursor is None:
        return None
    try:
        return int(_unbase64(cursor)[len(_PREFIX) :])
    except ValueError:
        return None


def _relay(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Slice a padded list like graphql-relay's ``connection_from_array``."""
    first, last = args.get("first"), args.get("last")
    after, before = args.get("after"), args.get("before")
    length = len(items)
    start, end = 0, length
    after_offset = _cursor_offset(after)
    after_offset = -1 if after_offset is None else after_offset
    if 0 <= after_offset < length:
        start = max(start, after_offset + 1)
    before_offset = _cursor_offset(before)
    before_offset = end if before_offset is None else before_offset
    if 0 <= before_offset < length:
        end = min(end, before_offset)
    if isinstance(first, int):
        if first < 0:
            raise ServiceError("Argument 'first' must be a non-negative integer.")
        end = min(end, start + first)
    if isinstance(last, int):
        if last < 0:
            raise ServiceError("Argument 'last' must be a non-negative integer.")
        start = max(start, end - last)
    edges = [
        {"node": node, "cursor": encode_cursor(start + i)}
        for i, node in enumerate(items[start:end])
    ]
    lower = after_offset + 1 if after else 0
    upper = before_offset if before else length
    return {
        "edges": edges,
        "page_info": {
            "start_cursor": edges[0]["cursor"] if edges else None,
            "end_cursor": edges[-1]["cursor"] if edges else None,
            "has_previous_page": isinstance(last, int) and start > lower,
            "has_next_page": isinstance(first, int) and end < upper,
        },
    }


def gwflow_connection(
    state: ServerState, user: User | None, args: dict[str, Any]
) -> dict[str, Any]:
    """Answer ``gwflowJobs`` with the real service's paging (see the module docstring).

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User or None
        The caller.
    args : dict
        The field's arguments, snake_case (``search``, ``time_range``,
        ``include_pruned``, ``first``, ``after``, ``last``, ``before``).

    Returns
    -------
    dict
        The ``GWFlowJobConnection`` value.
    """
    size = args.get("first") or 20
    after = _hit_offset(args.get("after"))
    nodes = list_gwflow_jobs(
        state,
        user,
        search=args.get("search") or "",
        time_range=args.get("time_range") or "all",
        include_pruned=bool(args.get("include_pruned")),
        offset=after or 0,
        size=size + 1,
    )
    padded: list[Any] = []
    if nodes:
        padded = [None] * (1 if after == 0 else (after or -1) + 1) + nodes
    return _relay(padded, args)


def connection_of(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Slice a full list into a connection like graphql-relay (reverse relations).

    Parameters
    ----------
    items : list
        Every node.
    args : dict
        ``first``, ``after``, ``last``, ``before`` and ``offset``.

    Returns
    -------
    dict
        The connection value.
    """
    offset = args.get("offset")
    if isinstance(offset, int) and offset > 0 and not args.get("after"):
        args = {**args, "after": encode_cursor(offset - 1)}
    return _relay(items, args)

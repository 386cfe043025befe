"""What the generated GraphQL clients share, whichever flavour (sync or async).

The client bases themselves are in :mod:`gwcloud_python._async.graphql` (and its
generated twin :mod:`gwcloud_python._sync.graphql`); this module holds what they
and the facade use alike: serialising variables and uploads, telling which
operations must never be repeated, and turning an answer the generated models
reject into a :class:`TransportError`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import to_jsonable_python

from . import _constants as C
from ._errors import OperationOutcomeUnknown, TransportError
from ._transport import UploadLike

__all__ = ["answer_mismatch", "guarded", "mark_mutation", "prepare_variables"]

_MUTATION = re.compile(r"^\s*mutation\b")
_Client = TypeVar("_Client")


def mark_mutation(query: str, operation_name: str | None) -> bool:
    """Whether an operation changes server state, so that it must be sent only once.

    When it does, the current call is marked as having sent it, so that an
    answer that cannot be read is reported as an unknown outcome.
    """
    mutation = bool(_MUTATION.match(query)) and operation_name not in C.SAFE_TO_REPEAT_MUTATIONS
    if mutation:
        _SENT_MUTATION.set(operation_name or "mutation")
    return mutation


def guarded(client: _Client) -> _Client:
    """Wrap a generated client so that an answer its models reject raises :class:`TransportError`.

    The generated methods parse answers with pydantic; a server answering
    something that does not fit the schema would otherwise surface as a
    ``pydantic.ValidationError`` (or, nested absurdly deep, a
    ``RecursionError``).  The proxy keeps the client's type.
    """
    return cast(_Client, _GuardedClient(client))


class _GuardedClient:
    def __init__(self, client: object) -> None:
        self._client = client

    def __repr__(self) -> str:
        return repr(self._client)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if inspect.iscoroutinefunction(method):

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                with _reading(name):
                    return await method(*args, **kwargs)

            return call_async
        if callable(method):

            def call(*args: Any, **kwargs: Any) -> Any:
                with _reading(name):
                    return method(*args, **kwargs)

            return call
        return method


@contextmanager
def _reading(name: str) -> Iterator[None]:
    """Report an answer of operation ``name`` that the models reject as a transport error."""
    sent = _SENT_MUTATION.set(None)
    try:
        yield
    except PydanticValidationError as err:
        raise _schema_mismatch(name, err) from None
    except RecursionError:
        raise _too_deep(name) from None
    finally:
        _SENT_MUTATION.reset(sent)


#: Name of the mutation the current call has sent (set by ``execute``), so that an
#: answer that cannot be read is reported as an unknown outcome, not a plain failure.
_SENT_MUTATION: ContextVar[str | None] = ContextVar("gwcloud_sent_mutation", default=None)


def _unreadable(name: str, what: str) -> TransportError:
    mutation = _SENT_MUTATION.get()
    if mutation is not None:
        return OperationOutcomeUnknown(
            f"{mutation} was sent but {what}; the server may or may not have carried it out. "
            "It was not retried: check the job or event ID on the server before sending it "
            "again.",
            operation_name=mutation,
        )
    return TransportError(f"{name}: {what}")


def _too_deep(name: str) -> TransportError:
    return _unreadable(name, "the server's answer is nested too deeply to read")


def _schema_mismatch(name: str, err: PydanticValidationError) -> TransportError:
    problems = err.errors(include_url=False, include_input=False)
    first = problems[0] if problems else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"])
    return answer_mismatch(name, where, str(first["msg"]), problems=len(problems))


def answer_mismatch(name: str, where: str, problem: str, *, problems: int = 1) -> TransportError:
    """The error for an answer of operation ``name`` that does not fit the schema.

    Parameters
    ----------
    name : str
        The operation (or generated method) whose answer was read.
    where : str
        Dotted path of the first value that does not fit (empty: the top level).
    problem : str
        What is wrong with it.
    problems : int, optional
        How many values do not fit, when known.
    """
    return _unreadable(
        name,
        "the server's answer does not match the GraphQL schema "
        f"({problems} problem(s); first at {where or 'top level'}: {problem})",
    )


def _is_upload(value: object) -> bool:
    return all(hasattr(value, name) for name in ("filename", "content", "content_type"))


def _is_unset(value: object) -> bool:
    # Each generated package defines its own ``UnsetType`` marker for omitted arguments.
    return type(value).__name__ == "UnsetType"


def prepare_variables(
    variables: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], list[tuple[str, UploadLike]]]:
    """Turn generated variables into JSON-ready values and a list of uploads.

    Pydantic input models are dumped by alias without unset fields, values
    such as ``Decimal`` and ``datetime`` become JSON scalars, and each upload
    is replaced by ``null`` and returned with its dotted path
    (``variables.supportingFiles.0.supportingFile``), as the GraphQL multipart
    request specification asks.

    Parameters
    ----------
    variables : mapping or None
        Variables as built by a generated client method.

    Returns
    -------
    tuple of (dict, list)
        The JSON-ready variables and ``(path, upload)`` pairs.
    """
    uploads: list[tuple[str, UploadLike]] = []

    def convert(value: Any, path: str) -> Any:
        if _is_upload(value):
            uploads.append((path, value))
            return None
        if isinstance(value, BaseModel):
            value = value.model_dump(by_alias=True, exclude_unset=True)
        if isinstance(value, Mapping):
            return {str(k): convert(v, f"{path}.{k}") for k, v in value.items() if not _is_unset(v)}
        if isinstance(value, (list, tuple)):
            return [convert(v, f"{path}.{i}") for i, v in enumerate(value)]
        return to_jsonable_python(value)

    converted = convert(dict(variables or {}), "variables")
    return converted, uploads

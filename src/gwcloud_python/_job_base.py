"""What every job object holds, whichever client (sync or async) it came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from ._errors import GWCloudError, ValidationError
from .event_id import EventID
from .helpers import JobStatus, JobType

__all__ = ["JobRecord", "check_description", "check_filter", "check_job_name"]

_J = TypeVar("_J", bound="JobRecord")
#: Fields of the generated job models kept in ``BilbyJob.other`` (when the model has them).
_OTHER_FIELDS = (
    "private",
    "is_ligo_job",
    "job_type",
    "cluster",
    "creation_time",
    "last_updated",
    "job_controller_id",
    "timestamp",
)


class _StatusFields(Protocol):
    name: str | None
    date: str | None


class _LabelFields(Protocol):
    name: str


class _JobFields(Protocol):
    """What the generated job models (private and public) have in common."""

    id: Any
    name: Any
    description: str | None
    user: str | None

    @property
    def job_status(self) -> _StatusFields | None: ...

    @property
    def event_id(self) -> Any: ...


class JobRecord:
    """The fields of a Bilby job; :class:`BilbyJob` and ``AsyncBilbyJob`` add the requests.

    Two jobs are equal when their IDs are.

    Parameters
    ----------
    client : GWCloud or AsyncGWCloud
        The client the job came from; used for every further request.
    job_id : str
        The job's ID (a Relay global ID).
    name, description, user : str
        The job's name, description and owner's name.
    event_id : EventID or None
        The event the job analyses.
    job_status : JobStatus or None
        Current status.
    **kwargs
        Any other fields, kept in :attr:`other`.
    """

    def __init__(
        self,
        client: Any,
        job_id: str,
        name: str,
        description: str | None,
        user: str | None,
        event_id: EventID | None,
        job_status: JobStatus | None,
        **kwargs: Any,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.name = name
        self.description = description
        self.user = user
        self.event_id = event_id
        self.status = job_status
        self.other: dict[str, Any] = dict(kwargs)
        kind = self.other.get("job_type")
        self._job_type: JobType | None = JobType(kind) if kind is not None else None

    @classmethod
    def _from_gql(cls: type[_J], client: Any, node: _JobFields) -> _J:
        """Build a job from a generated job model (the one place that reads job models)."""
        status = node.job_status
        event = node.event_id
        values = vars(node)  # a pydantic model's fields; avoids slow failing getattr calls
        other: dict[str, Any] = {}
        # Single-job queries carry labels; public lists leave them out to stay fast.
        labels: Sequence[_LabelFields | None] | None = values.get("labels")
        if labels is not None:
            other["labels"] = [label.name for label in labels if label is not None]
        for field in _OTHER_FIELDS:
            if field in values:
                other[field] = values[field]
        return cls(
            client,
            job_id=str(node.id),
            name=node.name or "",
            description=node.description,
            user=node.user,
            event_id=EventID._from_gql(event) if event is not None else None,
            job_status=(
                JobStatus._from_parts(status.name, status.date, vars(status).get("number"))
                if status
                else None
            ),
            **other,
        )

    @property
    def id(self) -> str:
        """Alias of :attr:`job_id`."""
        return self.job_id

    @property
    def job_status(self) -> JobStatus | None:
        """Alias of :attr:`status`."""
        return self.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, job_id={self.job_id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobRecord):
            return NotImplemented
        return self.job_id == other.job_id

    def __hash__(self) -> int:
        return hash(self.job_id)

    @property
    def job_type(self) -> JobType:
        """How the job came to GWCloud (normal, uploaded or external).

        Raises
        ------
        GWCloudError
            The type is not known yet: public job lists do not carry it; list
            the job's files first.
        """
        if self._job_type is None:
            raise GWCloudError(
                f"the type of job {self.job_id!r} is not known until its files are listed"
            )
        return self._job_type


def check_job_name(name: object, argument: str = "name") -> str:
    """Return ``name`` if it is a non-empty string; ``argument`` names it in the error."""
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{argument} must be a non-empty string, got {name!r}")
    return name


def check_description(description: object) -> str:
    """Return ``description`` if it is a string."""
    if not isinstance(description, str):
        raise ValidationError(f"description must be a string, got {description!r}")
    return description


def check_filter(name: object, file_list_filter_fn: object) -> None:
    """Check the arguments of ``register_file_list_filter``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValidationError(f"filter name must be a Python identifier, got {name!r}")
    if not callable(file_list_filter_fn):
        raise ValidationError(f"file_list_filter_fn must be callable, got {file_list_filter_fn!r}")

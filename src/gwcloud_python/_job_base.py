"""What every job object holds, whichever client (sync or async) it came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ._errors import GWCloudError, ValidationError
from .event_id import EventID, _html_table, dash, shorten, yes_no
from .helpers import JobStatus, JobType, parse_datetime

__all__ = ["JobRecord", "check_description", "check_filter", "check_job_name"]

_J = TypeVar("_J", bound="JobRecord")
#: Fields of the generated job models that become typed attributes (when the model has them).
_MODEL_FIELDS = (
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


def _to_event_id(value: object) -> EventID | None:
    """Accept an :class:`EventID`, a 1.x-style dict of its fields, or nothing."""
    if isinstance(value, EventID) or value is None:
        return value
    if isinstance(value, Mapping):
        return EventID(**value) if value else None
    raise ValidationError(
        f"event_id must be an EventID, a dict of its fields or None, got {value!r}"
    )


def _to_status(value: object) -> JobStatus | None:
    """Accept a :class:`JobStatus`, a 1.x-style ``{"name": ..., "date": ...}`` dict, or nothing."""
    if isinstance(value, JobStatus) or value is None:
        return value
    if isinstance(value, Mapping):
        return JobStatus(status=value["name"], date=value.get("date"), number=value.get("number"))
    raise ValidationError(
        f"job_status must be a JobStatus, a dict with 'name' and 'date' or None, got {value!r}"
    )


def _to_job_type(value: object) -> JobType | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in set(JobType):
        return JobType(value)
    raise ValidationError(f"job type must be 0, 1, 2 or a JobType, got {value!r}")


class JobRecord:
    """The fields of a Bilby job; :class:`BilbyJob` and ``AsyncBilbyJob`` add the requests.

    Two jobs are equal when their IDs and types are (as in gwcloud-python 1.x).

    Parameters
    ----------
    client : GWCloud or AsyncGWCloud
        The client the job came from; used for every further request.
    job_id : str
        The job's ID (a Relay global ID).
    name, description, user : str
        The job's name, description and owner's name.
    event_id : EventID or dict or None
        The event the job analyses; a dict of :class:`EventID` fields (as 1.x took)
        is converted.
    job_status : JobStatus or dict or None
        Current status; a ``{"name": ..., "date": ...}`` dict (as 1.x took) is converted.
    **kwargs
        The typed fields below by name (``labels``, ``private``, ``job_type``...);
        anything else is kept and shown in :attr:`other`.

    Attributes
    ----------
    labels : list of str or None
        The job's labels (``"Official"``...); None when the query did not fetch them
        (public job lists leave them out).
    private : bool or None
        Whether only the owner may see the job.
    is_ligo_job : bool or None
        Whether only LIGO members may see it.
    cluster : str or None
        Cluster the job ran on.
    creation_time, last_updated, timestamp : datetime or None
        When the job was created, last changed, and its search timestamp.
    job_controller_id : int or None
        The job controller's ID of the job.
    """

    def __init__(
        self,
        client: Any,
        job_id: str,
        name: str,
        description: str | None,
        user: str | None,
        event_id: EventID | Mapping[str, Any] | None,
        job_status: JobStatus | Mapping[str, Any] | None,
        **kwargs: Any,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.name = name
        self.description = description
        self.user = user
        self.event_id: EventID | None = _to_event_id(event_id)
        self.status: JobStatus | None = _to_status(job_status)
        labels = kwargs.pop("labels", None)
        self.labels: list[str] | None = None if labels is None else [str(x) for x in labels]
        private = kwargs.pop("private", None)
        self.private: bool | None = None if private is None else bool(private)
        ligo = kwargs.pop("is_ligo_job", None)
        self.is_ligo_job: bool | None = None if ligo is None else bool(ligo)
        cluster = kwargs.pop("cluster", None)
        self.cluster: str | None = None if cluster is None else str(cluster)
        self.creation_time: datetime | None = parse_datetime(kwargs.pop("creation_time", None))
        self.last_updated: datetime | None = parse_datetime(kwargs.pop("last_updated", None))
        self.timestamp: datetime | None = parse_datetime(kwargs.pop("timestamp", None))
        controller = kwargs.pop("job_controller_id", None)
        self.job_controller_id: int | None = None if controller is None else int(controller)
        self._job_type: JobType | None = _to_job_type(kwargs.pop("job_type", None))
        self._extra: dict[str, Any] = kwargs

    @classmethod
    def _from_gql(cls: type[_J], client: Any, node: _JobFields) -> _J:
        """Build a job from a generated job model (the one place that reads job models)."""
        status = node.job_status
        event = node.event_id
        values = vars(node)  # a pydantic model's fields; avoids slow failing getattr calls
        fields: dict[str, Any] = {}
        # Single-job queries carry labels; public lists leave them out to stay fast.
        labels: Sequence[_LabelFields | None] | None = values.get("labels")
        if labels is not None:
            fields["labels"] = [label.name for label in labels if label is not None]
        for field in _MODEL_FIELDS:
            if field in values:
                fields[field] = values[field]
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
            **fields,
        )

    @classmethod
    def _from_answer(cls: type[_J], client: Any, node: Mapping[str, Any]) -> _J:
        """Build a job from a public list's node as decoded JSON, already checked.

        The fields are those of the fragment ``PublicBilbyJobFields``; see
        :mod:`gwcloud_python._job_answers`.
        """
        status = node["jobStatus"]
        event = node["eventId"]
        return cls(
            client,
            job_id=str(node["id"]),
            name=node["name"] or "",
            description=node["description"],
            user=node["user"],
            event_id=None if event is None else EventID._from_answer(event),
            job_status=(
                None
                if status is None
                else JobStatus._from_parts(status["name"], status["date"], None)
            ),
        )

    @property
    def id(self) -> str:
        """Alias of :attr:`job_id`."""
        return self.job_id

    @property
    def job_status(self) -> JobStatus | None:
        """Alias of :attr:`status`."""
        return self.status

    @property
    def type(self) -> JobType | None:
        """The job's type as gwcloud-python 1.x held it: None until known (settable).

        A :class:`JobType` (an ``int``: 0 normal, 1 uploaded, 2 external) once the
        job's files were listed or a query carried it.
        """
        return self._job_type

    @type.setter
    def type(self, value: JobType | int | None) -> None:
        self._job_type = _to_job_type(value)

    @property
    def other(self) -> dict[str, Any]:
        """The job's further fields as one dict (the 1.x ``other``), a fresh copy on each use.

        Read-only: it lists the typed attributes that are known (``labels``,
        ``private``, ``job_type``, ``creation_time``...) and any extra keyword
        arguments the job was built with.  Prefer the attributes themselves.
        """
        found: dict[str, Any] = {}
        if self.labels is not None:
            found["labels"] = list(self.labels)
        for field in _MODEL_FIELDS:
            value = self._job_type if field == "job_type" else getattr(self, field)
            if value is not None:
                found[field] = value
        found.update(self._extra)
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, job_id={self.job_id!r})"

    def _display_rows(self) -> list[tuple[str, str]]:
        """The (label, text) pairs that :meth:`__str__` and :meth:`_repr_html_` show."""
        event = self.event_id
        return [
            ("name", dash(self.name)),
            ("id", dash(self.job_id)),
            ("status", dash(self.status.status if self.status is not None else None)),
            ("event id", dash(event.event_id if event is not None else None)),
            ("user", dash(self.user)),
            ("private", yes_no(self.private)),
            ("created", dash(self.creation_time)),
            ("description", shorten(self.description)),
        ]

    def __str__(self) -> str:
        lines = [f"  {label + ':':<12} {text}" for label, text in self._display_rows()]
        return type(self).__name__ + "\n" + "\n".join(lines)

    def _repr_html_(self) -> str:
        """An HTML table of the job's main fields, for Jupyter (every value escaped)."""
        rows = [[label, text] for label, text in self._display_rows()]
        return _html_table(type(self).__name__, [], rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobRecord):
            return NotImplemented
        return self.job_id == other.job_id and self._job_type == other._job_type

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

# Generated from src/gwcloud_python/_async/event_ids.py by tools/unasync.py: do not edit.
"""Event IDs: the named gravitational-wave events that jobs are attached to."""

from __future__ import annotations

from typing import Literal, overload

from .._errors import NotFoundError
from .._validation import check_event_id
from ..event_id import EventID
from .jobs import Jobs

__all__ = ["EventIDs"]


class EventIDs(Jobs):
    """The client's methods that create, change, find and delete event IDs."""

    def create_event_id(
        self,
        event_id: str,
        gps_time: float,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool = False,
    ) -> EventID:
        """Create an event ID that jobs can be attached to (event administrators only).

        Parameters
        ----------
        event_id : str
            ``GW123456_123456``.
        gps_time : float
            GPS time of the event, a finite positive number.
        trigger_id : str, optional
            ``S123456a``.
        nickname : str, optional
            Common name.
        is_ligo_event : bool, optional
            Visible to LIGO members only.  Sent only when True: the service has
            announced that it drops the flag, and an omitted flag means "not
            LIGO-only" everywhere.

        Returns
        -------
        EventID
            The event as stored by the server.

        Raises
        ------
        ValidationError
            An argument is invalid, or ``is_ligo_event=True`` on a service that no
            longer has the LIGO flag (nothing is created).
        """
        variables = self._create_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        if "is_ligo_event" in variables:
            self._send_ligo_flag(lambda: self._bilby.create_event_id_with_ligo_flag(**variables))
        else:
            self._bilby.create_event_id(**variables)
        return self.get_event_id(event_id, strict=True)

    def update_event_id(
        self,
        event_id: str,
        gps_time: float | None = None,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool | None = None,
    ) -> EventID:
        """Change the given fields of an event ID (event administrators only).

        Parameters
        ----------
        event_id : str
            The event to change.
        gps_time, trigger_id, nickname, is_ligo_event : optional
            New values; None leaves a field unchanged.

        Returns
        -------
        EventID
            The event as stored by the server after the change.

        Raises
        ------
        ValidationError
            An argument is invalid, or ``is_ligo_event`` is given to a service that no
            longer has the LIGO flag (nothing is changed).
        """
        variables = self._update_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        if "is_ligo_event" in variables:
            self._send_ligo_flag(lambda: self._bilby.update_event_id_with_ligo_flag(**variables))
        else:
            self._bilby.update_event_id(**variables)
        return self.get_event_id(event_id, strict=True)

    def delete_event_id(self, event_id: str) -> None:
        """Delete an event ID (event administrators only)."""
        check_event_id(event_id)
        self._require_token("delete_event_id")
        self._bilby.delete_event_id(event_id=event_id)

    @overload
    def get_event_id(self, event_id: str, *, strict: Literal[True]) -> EventID: ...

    @overload
    def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None: ...

    def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None:
        """Fetch one event ID.

        Parameters
        ----------
        event_id : str
            ``GW123456_123456``; ``""`` gives None, as in gwcloud-python 1.x.
        strict : bool, optional
            Raise instead of returning None (keyword only): :class:`ValidationError`
            for ``""``, :class:`NotFoundError` for an unknown event.

        Returns
        -------
        EventID or None
            The event; None for ``""`` or an event that does not exist or is not
            visible to this client, unless ``strict``.

        Raises
        ------
        ValidationError
            ``event_id`` is malformed.
        NotFoundError
            With ``strict=True``: no such event, or not visible to this client.
        """
        if event_id == "" and not strict:
            return None
        check_event_id(event_id)
        try:
            answer = self._read(
                lambda: self._bilby.event_id(event_id=event_id),
                lambda: self._bilby.event_id_no_ligo_flag(event_id=event_id),
            )
            node = answer.event_id
        except NotFoundError:
            if strict:
                raise
            return None
        return self._event(event_id, node, strict=strict)

    def get_all_event_ids(self) -> list[EventID]:
        """Every event ID visible to this client."""
        answer = self._read(self._bilby.all_event_ids, self._bilby.all_event_ids_no_ligo_flag)
        nodes = answer.all_event_ids or []
        return [EventID._from_gql(node) for node in nodes if node is not None]

    # -- used by the job objects ------------------------------------------------------------

    def _set_job_event_id(self, job_id: str, event_id: EventID | str | None) -> EventID | None:
        value = self._event_value(event_id)
        self._require_token("set_event_id")
        self._bilby.update_bilby_job(job_id=job_id, event_id=value)
        if isinstance(event_id, EventID) or not value:
            return event_id if isinstance(event_id, EventID) else None
        return self.get_event_id(value)

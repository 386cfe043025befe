"""Helpers of the ported 1.x tests: gwdc-python's objects as ours, and server JSON.

Imported by name (``from compat_1x_support import ...``); ``conftest.py`` holds the
``mocker`` fixture.
"""

from __future__ import annotations

import base64
from typing import Any

from gwcloud_python import BilbyJob
from gwcloud_python.helpers import JobType

#: gwdc-python's object types are our job types (same values: 0, 1, 2).
GWDCObjectType = JobType

ENDPOINT = "https://gwcloud.org.au/bilby/graphql"
AUTH_ENDPOINT = "https://gwcloud.org.au/auth/graphql"


def GWDCObjectBase(client: Any, _id: Any, _type: Any = None) -> BilbyJob:
    """gwdc-python's base object (client, id, type), as the BilbyJob that replaced it."""
    job = BilbyJob(client, _id, "name", "description", "user", None, None)
    job.type = _type
    return job


def global_id(pk: Any) -> str:
    """The Relay global ID the server sends for job ``pk``."""
    return base64.b64encode(f"BilbyJobNode:{pk}".encode()).decode()


def wire_event(event: dict[str, Any] | None) -> dict[str, Any] | None:
    """A 1.x test's event dict as the server's JSON (fields the query selects included)."""
    if event is None:
        return None
    return {
        "eventId": event["event_id"],
        "triggerId": event.get("trigger_id"),
        "nickname": event.get("nickname"),
        "isLigoEvent": event.get("is_ligo_event", False),
        "gpsTime": event.get("gps_time", 1126259462.391),
    }


def wire_job(job: dict[str, Any]) -> dict[str, Any]:
    """A 1.x test's job dict as a ``BilbyJobFields`` node in the server's JSON.

    GraphQL serialises an ``ID`` as a string, so the id goes on the wire as text;
    fields 1.x did not select get the values a real server sends.
    """
    return {
        "id": str(job["id"]),
        "name": job["name"],
        "description": job["description"],
        "user": job["user"],
        "private": False,
        "isLigoJob": False,
        "jobType": 0,
        "cluster": None,
        "creationTime": "2021-12-02T00:00:00+00:00",
        "lastUpdated": "2021-12-02 00:00:00 UTC",
        "jobControllerId": None,
        "jobStatus": {
            "name": job["job_status"]["name"],
            "number": 500,
            "date": job["job_status"]["date"],
        },
        "eventId": wire_event(job.get("event_id")),
        "labels": [],
    }


def jwt_answer(jwt: str = "mock_jwt_token", refresh: str = "mock_refresh_token") -> dict[str, Any]:
    """The auth server's answer to ``jwtToken``."""
    return {"data": {"jwtToken": {"jwtToken": jwt, "refreshToken": refresh}}}


def decamelize(value: Any) -> Any:
    """Snake-case the keys of GraphQL variables, as 1.x wrote them (``jobId`` → ``job_id``)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
            out[snake] = decamelize(item)
        return out
    if isinstance(value, list):
        return [decamelize(item) for item in value]
    return value

"""Configuration and shared state of one running local server."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import Database

__all__ = ["SCHEMA_VERSIONS", "ServerConfig", "ServerState"]

SCHEMA_VERSIONS = ("2023", "2026")


@dataclass
class ServerConfig:
    """Settings of the local server.

    Attributes
    ----------
    data_dir : Path
        Directory holding the database, the JWT secret and the blobs.
    jwt_ttl : float
        Lifetime of a JWT, seconds.
    refresh_ttl : float
        Lifetime of a refresh token, seconds.
    download_id_ttl : float
        Lifetime of a file download ID, seconds.
    job_duration : float
        Seconds a submitted job runs before completing.
    schema : str
        Service generation to imitate: ``"2023"`` (separate Bilby and auth endpoints,
        JWTs) or ``"2026"`` (one ``/graphql`` endpoint, API tokens sent as they are).
        Both use the same data-directory layout.
    """

    data_dir: Path
    jwt_ttl: float = 300.0
    refresh_ttl: float = 7 * 24 * 3600.0
    download_id_ttl: float = 3600.0
    job_duration: float = 2.0
    schema: str = "2023"

    def __post_init__(self) -> None:
        if self.schema not in SCHEMA_VERSIONS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMA_VERSIONS)}")


@dataclass
class ServerState:
    """Everything the routes and resolvers share.

    Attributes
    ----------
    config : ServerConfig
        The settings.
    db : Database
        The SQLite store.
    secret : str
        HS256 key for JWTs.
    faults : list of dict
        Active fault-injection rules.
    requests : list of dict
        Requests seen, for ``GET /_admin/requests``.
    """

    config: ServerConfig
    db: Database
    secret: str
    faults: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, config: ServerConfig) -> ServerState:
        """Open (creating when needed) the data directory.

        Parameters
        ----------
        config : ServerConfig
            The settings.

        Returns
        -------
        ServerState
            The state.
        """
        config.data_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("jobs", "supporting", "tmp"):
            (config.data_dir / sub).mkdir(exist_ok=True)
        secret_file = config.data_dir / "jwt_secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
            secret_file.chmod(0o600)
        db = Database(config.data_dir / "gwcloud.sqlite3")
        return cls(config=config, db=db, secret=secret_file.read_text().strip())

    @property
    def jobs_dir(self) -> Path:
        """Directory holding one result tree per job."""
        return self.config.data_dir / "jobs"

    @property
    def supporting_dir(self) -> Path:
        """Directory holding uploaded supporting files, named by token."""
        return self.config.data_dir / "supporting"

    @property
    def tmp_dir(self) -> Path:
        """Scratch directory on the same file system as the blobs."""
        return self.config.data_dir / "tmp"

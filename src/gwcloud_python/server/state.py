"""Configuration and shared state of one running local server."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import Database

__all__ = ["SCHEMA_VERSIONS", "ServerConfig", "ServerState", "remove_tree"]

#: ``"2026-next"`` is the 2026 service as it has announced it will be: no LIGO flags
#: (``schema/2026-next``); it is served like ``"2026"`` in every other respect.
SCHEMA_VERSIONS = ("2023", "2026", "2026-next")
#: What a data directory holds; a directory holding only these is made private.
_OWN_NAMES = frozenset(
    {
        "gwcloud.sqlite3",
        "gwcloud.sqlite3-wal",
        "gwcloud.sqlite3-shm",
        "gwcloud.sqlite3-journal",
        "jwt_secret",
        "jobs",
        "supporting",
        "gwflow",
        "tmp",
        "server.log",
    }
)
_log = logging.getLogger("gwcloud_python.server")


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
        JWTs), ``"2026"`` (one ``/graphql`` endpoint, API tokens sent as they are) or
        ``"2026-next"`` (the same, with the announced schema: no ``isLigoEvent``, no
        ``ligoOnly``). All use the same data-directory layout.
    admin_secret : str or None
        When set, the ``/_admin/*`` routes exist and every call must send this value in
        the ``X-Admin-Secret`` header; when None (the default) they do not exist.
    max_upload_bytes : int
        Largest request body accepted on a GraphQL endpoint (multipart uploads included).
    max_extracted_bytes : int
        Largest total size of the files unpacked from one uploaded job archive.
    max_compression_ratio : float
        Largest ratio of unpacked to uploaded bytes of a job archive (gzip bombs), checked
        once more than 64 MiB have been unpacked.
    max_archive_members : int
        Most members one uploaded job archive may have.
    max_json_bytes : int
        Largest non-multipart GraphQL request body.
    max_query_bytes : int
        Largest GraphQL document (the ``query`` text).
    max_query_tokens : int
        Most lexical tokens in one GraphQL document.
    max_query_depth : int
        Deepest selection-set nesting (fragments expanded).
    max_query_aliases : int
        Most aliased fields in one document.
    max_query_fields : int
        Most field selections in one document (fragments expanded).
    max_search_terms : int
        Most whitespace-separated terms in a job search.
    max_search_term_length : int
        Longest search term, in characters.
    request_log_size : int
        How many recent requests ``GET /_admin/requests`` remembers.
    """

    data_dir: Path
    jwt_ttl: float = 300.0
    refresh_ttl: float = 7 * 24 * 3600.0
    download_id_ttl: float = 3600.0
    job_duration: float = 2.0
    schema: str = "2023"
    admin_secret: str | None = None
    max_upload_bytes: int = 4 * 1024**3
    max_extracted_bytes: int = 16 * 1024**3
    max_compression_ratio: float = 100.0
    max_archive_members: int = 100_000
    max_json_bytes: int = 16 * 1024**2
    max_query_bytes: int = 100_000
    max_query_tokens: int = 20_000
    max_query_depth: int = 20
    max_query_aliases: int = 100
    max_query_fields: int = 1_000
    max_search_terms: int = 32
    max_search_term_length: int = 256
    request_log_size: int = 10_000

    def __post_init__(self) -> None:
        if self.schema not in SCHEMA_VERSIONS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMA_VERSIONS)}")
        if self.admin_secret is not None and len(self.admin_secret) < 16:
            raise ValueError("the admin secret must be at least 16 characters long")
        for name in ("max_upload_bytes", "max_extracted_bytes", "request_log_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")

    @property
    def admin(self) -> bool:
        """Whether the ``/_admin/*`` routes are served."""
        return self.admin_secret is not None


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
    requests : deque of dict
        The most recent requests (at most ``config.request_log_size``), for
        ``GET /_admin/requests``.
    """

    config: ServerConfig
    db: Database
    secret: str
    faults: list[dict[str, Any]] = field(default_factory=list)
    requests: deque[dict[str, Any]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.requests = deque(self.requests, maxlen=self.config.request_log_size)

    @classmethod
    def open(cls, config: ServerConfig) -> ServerState:
        """Open (creating when needed) the data directory.

        The data directory and its sub-directories are made private (mode 0700) and
        the database, secret and log files 0600, since they hold token hashes and
        private job files.  An existing directory that also holds other files (say, a
        home directory) keeps its mode, with a warning.

        Parameters
        ----------
        config : ServerConfig
            The settings.

        Returns
        -------
        ServerState
            The state.
        """
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        foreign = sorted(p.name for p in config.data_dir.iterdir() if p.name not in _OWN_NAMES)
        if not foreign:
            _make_private(config.data_dir, 0o700)
        elif config.data_dir.stat().st_mode & 0o077:
            _log.warning(
                "data directory %s is readable by other users and holds other files (%s); "
                "its mode is left alone",
                config.data_dir,
                ", ".join(foreign[:3]),
            )
        for sub in ("jobs", "supporting", "gwflow", "tmp"):
            (config.data_dir / sub).mkdir(mode=0o700, exist_ok=True)
            _make_private(config.data_dir / sub, 0o700)
        secret_file = config.data_dir / "jwt_secret"
        if not secret_file.exists():
            _write_private(secret_file, secrets.token_hex(32))
        _make_private(secret_file, 0o600)
        db_file = config.data_dir / "gwcloud.sqlite3"
        if not db_file.exists():
            _write_private(db_file, "")
        for name in ("gwcloud.sqlite3", "gwcloud.sqlite3-wal", "gwcloud.sqlite3-shm", "server.log"):
            if (config.data_dir / name).exists():
                _make_private(config.data_dir / name, 0o600)
        db = Database(db_file)
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
    def gwflow_dir(self) -> Path:
        """Directory holding mirrored GWFlow files, ``<job pk>/<file pk>``."""
        return self.config.data_dir / "gwflow"

    @property
    def tmp_dir(self) -> Path:
        """Scratch directory on the same file system as the blobs."""
        return self.config.data_dir / "tmp"


def _make_private(path: Path, mode: int) -> None:
    """Give a path we own the given mode (leave paths owned by someone else alone)."""
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
        path.chmod(mode)


def _write_private(path: Path, text: str) -> None:
    """Create a file readable by its owner only, then write it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def remove_tree(path: Path) -> None:
    """Delete a file or directory tree, ignoring one that is already gone.

    Parameters
    ----------
    path : Path
        What to delete.
    """
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

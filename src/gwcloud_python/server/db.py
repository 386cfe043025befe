"""Embedded SQLite storage of the local GWCloud server."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Database"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE NOT NULL,
    api_token TEXT UNIQUE NOT NULL,
    is_ligo INTEGER NOT NULL DEFAULT 0,
    is_event_admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS event_ids (
    id INTEGER PRIMARY KEY,
    event_id TEXT UNIQUE NOT NULL,
    trigger_id TEXT,
    nickname TEXT,
    is_ligo_event INTEGER NOT NULL DEFAULT 0,
    gps_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    description TEXT,
    protected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    creation_time REAL NOT NULL,
    last_updated REAL NOT NULL,
    private INTEGER NOT NULL DEFAULT 0,
    ini_string TEXT NOT NULL DEFAULT '',
    job_controller_id INTEGER,
    event_fk INTEGER,
    is_ligo_job INTEGER NOT NULL DEFAULT 0,
    job_type INTEGER NOT NULL DEFAULT 0,
    cluster TEXT,
    status INTEGER NOT NULL DEFAULT 10,
    status_time REAL NOT NULL,
    result_url TEXT,
    label TEXT
);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (creation_time DESC, id DESC);
CREATE TABLE IF NOT EXISTS job_labels (
    job_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    PRIMARY KEY (job_id, label_id)
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    is_dir INTEGER NOT NULL,
    size INTEGER NOT NULL,
    token TEXT UNIQUE,
    generated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_job ON files (job_id, path);
CREATE TABLE IF NOT EXISTS supporting_files (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    token TEXT UNIQUE NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS upload_tokens (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    created REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS download_ids (
    id TEXT PRIMARY KEY,
    file_id INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
"""


class Database:
    """A thread-safe wrapper around one SQLite connection.

    Parameters
    ----------
    path : Path
        The database file; created with its tables when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read statement and return every row.

        Parameters
        ----------
        sql : str
            The statement.
        params : tuple or dict
            Its parameters.

        Returns
        -------
        list of sqlite3.Row
            The rows.
        """
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """Run a read statement and return its first row, or None.

        Parameters
        ----------
        sql : str
            The statement.
        params : tuple or dict
            Its parameters.

        Returns
        -------
        sqlite3.Row or None
            The first row.
        """
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        """Run one write statement in its own transaction.

        Parameters
        ----------
        sql : str
            The statement.
        params : tuple or dict
            Its parameters.

        Returns
        -------
        int
            The last inserted row id.
        """
        with self.transaction() as conn:
            cursor = conn.execute(sql, params)
            return int(cursor.lastrowid or 0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and wrap the block in one transaction.

        Yields
        ------
        sqlite3.Connection
            The connection, inside ``BEGIN``; committed on success, rolled back on error.
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get_setting(self, key: str, default: str) -> str:
        """Return a stored setting.

        Parameters
        ----------
        key : str
            Setting name.
        default : str
            Value when unset.

        Returns
        -------
        str
            The value.
        """
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return default if row is None else str(row["value"])

    def set_setting(self, key: str, value: str) -> None:
        """Store a setting.

        Parameters
        ----------
        key : str
            Setting name.
        value : str
            New value.
        """
        self.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

"""Embedded SQLite storage of the local GWCloud server."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Database", "hash_token", "next_id"]

#: Tables and columns holding secrets; only their SHA-256 is stored.
_HASHED_COLUMNS = (
    ("users", "api_token"),
    ("refresh_tokens", "token"),
    ("upload_tokens", "token"),
    ("supporting_files", "token"),
)
_TOKEN_STORAGE = "token_storage"  # noqa: S105


def hash_token(token: str) -> str:
    """Return the stored form of a secret token (hex SHA-256).

    Tokens are long random values, so an unsalted fast hash is enough: whoever reads
    the database learns nothing that lets them call the service.

    Parameters
    ----------
    token : str
        The token as the client sends it.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def next_id(conn: sqlite3.Connection, table: str) -> int:
    """Allocate a primary key of ``users`` or ``jobs`` that was never used before.

    A counter in ``settings`` only grows, so a deleted user's or job's number is
    never given to a new row (old tokens and folders can not be inherited).

    Parameters
    ----------
    conn : sqlite3.Connection
        Connection inside a transaction.
    table : str
        ``"users"`` or ``"jobs"``.

    Returns
    -------
    int
        The key to insert with.
    """
    if table not in ("users", "jobs"):
        raise ValueError(f"no id counter for table {table!r}")
    key = f"next_id:{table}"
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    top = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]  # noqa: S608
    pk = max(int(row[0]) if row else 1, int(top) + 1)
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(pk + 1)),
    )
    return pk


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
CREATE TABLE IF NOT EXISTS gwflow_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sname TEXT UNIQUE NOT NULL CHECK (length(sname) <= 64),
    user_id INTEGER,
    schema_version TEXT NOT NULL DEFAULT '' CHECK (length(schema_version) <= 8),
    libraries TEXT NOT NULL DEFAULT '[]',
    is_pruned INTEGER NOT NULL DEFAULT 0,
    ligo_only INTEGER NOT NULL DEFAULT 1,
    event_fk INTEGER,
    current_history_id TEXT NOT NULL DEFAULT '' CHECK (length(current_history_id) <= 64),
    current_history_timestamp TEXT,
    creation_time REAL NOT NULL,
    last_updated REAL NOT NULL,
    metadata TEXT
);
CREATE INDEX IF NOT EXISTS gwflow_jobs_updated ON gwflow_jobs (last_updated DESC, id DESC);
CREATE TABLE IF NOT EXISTS gwflow_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    analysis_uid TEXT NOT NULL DEFAULT '' CHECK (length(analysis_uid) <= 128),
    path TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_size INTEGER,
    md5_sum TEXT NOT NULL DEFAULT '' CHECK (length(md5_sum) <= 32),
    uploaded INTEGER NOT NULL DEFAULT 0,
    download_token TEXT UNIQUE NOT NULL,
    UNIQUE (job_id, analysis_uid, path)
);
"""
#: Columns added after a table's first version: (table, column, declaration).
_ADDED_COLUMNS = (
    ("users", "is_gwflow_ingest", "INTEGER NOT NULL DEFAULT 0"),
    ("jobs", "gwflow_job_id", "INTEGER"),
    ("jobs", "gwflow_analysis_uid", "TEXT"),
)


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
        self._add_missing_columns()
        self._hash_stored_tokens()

    def _add_missing_columns(self) -> None:
        """Bring the tables of a data directory made by an older version up to date."""
        for table, column, declaration in _ADDED_COLUMNS:
            known = {row["name"] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in known:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def _hash_stored_tokens(self) -> None:
        """Replace plaintext tokens of a data directory made by an older version."""
        if self.get_setting(_TOKEN_STORAGE, "") == "sha256":
            return
        self._conn.create_function("gwc_hash_token", 1, hash_token, deterministic=True)
        with self.transaction() as conn:
            for table, column in _HASHED_COLUMNS:
                conn.execute(f"UPDATE {table} SET {column} = gwc_hash_token({column})")  # noqa: S608
            conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, 'sha256')",
                (_TOKEN_STORAGE,),
            )

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

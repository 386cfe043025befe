# Generated from src/gwcloud_python/_async/bilby_job.py by tools/unasync.py: do not edit.
"""The job object: :class:`BilbyJob`, and through the rewrite :class:`BilbyJob`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .._extras import JobExtras
from .._job_base import JobRecord, check_description, check_filter, check_job_name
from .._validation import check_bool
from ..event_id import EventID
from ..file_filters import BUILTIN_FILTERS, FileFilter
from ..file_reference import FileReference, FileReferenceList
from ..helpers import JobType

if TYPE_CHECKING:
    from .client import GWCloud

__all__ = ["BilbyJob"]

PathLike = str | os.PathLike[str]


class BilbyJob(JobExtras, JobRecord):
    """A Bilby job on GWCloud, with methods to read and update it and fetch its files.

    Jobs come from :class:`~gwcloud_python.gwcloud.GWCloud` methods such
    as ``get_public_job_list`` or ``get_job_by_id``, and make their requests
    through that client; two jobs are equal when their IDs are.

    Parameters
    ----------
    client : GWCloud
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

    client: GWCloud

    #: The file-list filters by name; each gives ``get_<name>_file_list``,
    #: ``get_<name>_files`` and ``save_<name>_files`` (1.x's registry, kept per class).
    FILE_LIST_FILTERS: ClassVar[dict[str, FileFilter]] = dict(BUILTIN_FILTERS)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give a subclass its own filter registry, adding any filters it declares."""
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("FILE_LIST_FILTERS")
        cls.FILE_LIST_FILTERS = {}
        for name, file_filter in (declared or {}).items():
            cls.register_file_list_filter(name, file_filter)

    # -- job type -------------------------------------------------------------------------

    def get_job_type(self) -> JobType:
        """How the job came to GWCloud; fetched with the file list when not yet known."""
        if self._job_type is None:
            self.get_full_file_list()
        assert self._job_type is not None
        return self._job_type

    def is_normal(self) -> bool:
        """Whether the job was submitted to run on a GWCloud cluster."""
        return self.get_job_type() is JobType.NORMAL

    def is_uploaded(self) -> bool:
        """Whether the job's results were uploaded to GWCloud."""
        return self.get_job_type() is JobType.UPLOADED

    def is_external(self) -> bool:
        """Whether the job's results live outside GWCloud."""
        return self.get_job_type() is JobType.EXTERNAL

    # -- updates ----------------------------------------------------------------------------

    def set_name(self, name: str) -> None:
        """Rename the job on the server and here.

        Raises
        ------
        ValidationError
            ``name`` is not a non-empty string.
        AuthenticationError
            The client is anonymous.
        GraphQLError
            The server refused the change.
        """
        self.client._update_job(self.job_id, name=check_job_name(name))
        self.name = name

    def set_description(self, description: str) -> None:
        """Change the job's description on the server and here.

        Raises
        ------
        ValidationError
            ``description`` is not a string.
        AuthenticationError
            The client is anonymous.
        GraphQLError
            The server refused the change.
        """
        self.client._update_job(self.job_id, description=check_description(description))
        self.description = description

    def set_event_id(self, event_id: EventID | str | None = None) -> None:
        """Attach the job to an event (or detach it with None), on the server and here.

        Parameters
        ----------
        event_id : EventID or str or None
            The event, or its ID such as ``"GW150914_095045"``.

        Raises
        ------
        ValidationError
            The event ID is malformed.
        AuthenticationError
            The client is anonymous.
        GraphQLError
            The server refused the change (for example, an unknown event).
        """
        self.event_id: EventID | None = self.client._set_job_event_id(self.job_id, event_id)

    # -- files ------------------------------------------------------------------------------

    def get_full_file_list(self) -> FileReferenceList:
        """List every file of the job (directories left out); this also learns its type."""
        # The client method keeps gwcloud-python 1.x's name, so code (and tests) that
        # stood in for it there keep working.
        return self.client._get_files_by_bilby_job(self)

    def _filtered(self, file_filter: FileFilter) -> FileReferenceList:
        return (self.get_full_file_list()).filter_list(file_filter)

    def _get(self, file_filter: FileFilter) -> list[tuple[Path, bytes]]:
        return self.client.get_files_by_reference(self._filtered(file_filter))

    def _save(
        self, file_filter: FileFilter, root_path: PathLike, skip_existing: bool = False
    ) -> list[Path]:
        self.client._check_root([], root_path)
        check_bool(skip_existing, "skip_existing")
        refs = self._filtered(file_filter)
        return self.client.save_files_by_reference(refs, root_path, skip_existing=skip_existing)

    def get_default_file_list(self) -> FileReferenceList:
        """The default files: PNGs in data/ and result/, config, HTML pages, result JSON."""
        return self._filtered(BUILTIN_FILTERS["default"])

    def get_default_files(self) -> list[tuple[Path, bytes]]:
        """Download the default files into memory as ``(path, bytes)`` pairs."""
        return self._get(BUILTIN_FILTERS["default"])

    def save_default_files(self, root_path: PathLike, *, skip_existing: bool = False) -> list[Path]:
        """Save the default files under ``root_path``, keeping their directories.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return self._save(BUILTIN_FILTERS["default"], root_path, skip_existing)

    def get_config_file_list(self) -> FileReferenceList:
        """The ``*_config_complete.ini`` files."""
        return self._filtered(BUILTIN_FILTERS["config"])

    def get_config_files(self) -> list[tuple[Path, bytes]]:
        """Download the config files into memory as ``(path, bytes)`` pairs."""
        return self._get(BUILTIN_FILTERS["config"])

    def save_config_files(self, root_path: PathLike, *, skip_existing: bool = False) -> list[Path]:
        """Save the config files under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return self._save(BUILTIN_FILTERS["config"], root_path, skip_existing)

    def get_png_file_list(self) -> FileReferenceList:
        """Every PNG file."""
        return self._filtered(BUILTIN_FILTERS["png"])

    def get_png_files(self) -> list[tuple[Path, bytes]]:
        """Download every PNG into memory as ``(path, bytes)`` pairs."""
        return self._get(BUILTIN_FILTERS["png"])

    def save_png_files(self, root_path: PathLike, *, skip_existing: bool = False) -> list[Path]:
        """Save every PNG under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return self._save(BUILTIN_FILTERS["png"], root_path, skip_existing)

    def get_corner_plot_file_list(self) -> FileReferenceList:
        """The ``*_corner.png`` corner plots."""
        return self._filtered(BUILTIN_FILTERS["corner_plot"])

    def get_corner_plot_files(self) -> list[tuple[Path, bytes]]:
        """Download the corner plots into memory as ``(path, bytes)`` pairs."""
        return self._get(BUILTIN_FILTERS["corner_plot"])

    def save_corner_plot_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the corner plots under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return self._save(BUILTIN_FILTERS["corner_plot"], root_path, skip_existing)

    def get_result_json_file_list(self) -> FileReferenceList:
        """The result JSON in result/ (merged result when there is one)."""
        return self._filtered(BUILTIN_FILTERS["result_json"])

    def get_result_json_files(self) -> list[tuple[Path, bytes]]:
        """Download the result JSON into memory as ``(path, bytes)`` pairs."""
        return self._get(BUILTIN_FILTERS["result_json"])

    def save_result_json_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the result JSON under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return self._save(BUILTIN_FILTERS["result_json"], root_path, skip_existing)

    @classmethod
    def register_file_list_filter(
        cls,
        name: str,
        file_list_filter_fn: Callable[[list[FileReference]], Sequence[FileReference]],
    ) -> None:
        """Add ``get_<name>_file_list``, ``get_<name>_files`` and ``save_<name>_files`` methods.

        Parameters
        ----------
        name : str
            A Python identifier naming the filter, e.g. ``"psd"``.
        file_list_filter_fn : callable
            Takes a list of :class:`FileReference` and returns the ones to keep.

        Raises
        ------
        ValidationError
            ``name`` is not an identifier or ``file_list_filter_fn`` is not callable.

        Examples
        --------
        >>> def psd_filter(files):
        ...     return [f for f in files if "psd" in f.path.name]
        >>> BilbyJob.register_file_list_filter("psd", psd_filter)
        >>> # then job.get_psd_file_list(), job.get_psd_files(), job.save_psd_files("out")
        """
        check_filter(name, file_list_filter_fn)

        def get_file_list(self: BilbyJob) -> FileReferenceList:
            return self._filtered(file_list_filter_fn)

        def get_files(self: BilbyJob) -> list[tuple[Path, bytes]]:
            return self._get(file_list_filter_fn)

        def save_files(
            self: BilbyJob, root_path: PathLike, *, skip_existing: bool = False
        ) -> list[Path]:
            return self._save(file_list_filter_fn, root_path, skip_existing)

        get_file_list.__doc__ = f"The files kept by the {name!r} filter."
        get_files.__doc__ = f"Download the {name!r} files into memory as (path, bytes) pairs."
        save_files.__doc__ = f"Save the {name!r} files under root_path."
        setattr(cls, f"get_{name}_file_list", get_file_list)
        setattr(cls, f"get_{name}_files", get_files)
        setattr(cls, f"save_{name}_files", save_files)
        cls.FILE_LIST_FILTERS[name] = file_list_filter_fn

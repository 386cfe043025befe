"""The :class:`AsyncBilbyJob` domain object: a job fetched by :class:`AsyncGWCloud`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ._job_base import JobRecord, check_description, check_filter, check_job_name
from ._validation import check_bool
from .event_id import EventID
from .file_filters import BUILTIN_FILTERS, FileFilter
from .file_reference import FileReference, FileReferenceList
from .helpers import JobType

if TYPE_CHECKING:
    from .async_gwcloud import AsyncGWCloud

__all__ = ["AsyncBilbyJob"]

PathLike = str | os.PathLike[str]


class AsyncBilbyJob(JobRecord):
    """A Bilby job whose requests are coroutines; the async twin of :class:`BilbyJob`.

    It holds the same fields as :class:`BilbyJob` (``job_id``, ``name``,
    ``description``, ``user``, ``status``, ``event_id``, ``other``) and offers
    the same methods, each to be awaited.

    Examples
    --------
    >>> async with AsyncGWCloud() as gw:                        # doctest: +SKIP
    ...     job = (await gw.get_official_job_list("GW150914"))[0]
    ...     await job.save_default_files("results/")
    """

    client: AsyncGWCloud

    #: The file-list filters by name (as :attr:`BilbyJob.FILE_LIST_FILTERS`).
    FILE_LIST_FILTERS: ClassVar[dict[str, FileFilter]] = dict(BUILTIN_FILTERS)

    async def get_job_type(self) -> JobType:
        """How the job came to GWCloud; fetched with the file list when not yet known."""
        if self._job_type is None:
            await self.get_full_file_list()
        return self.job_type

    async def is_normal(self) -> bool:
        """Whether the job was submitted to run on a GWCloud cluster."""
        return await self.get_job_type() is JobType.NORMAL

    async def is_uploaded(self) -> bool:
        """Whether the job's results were uploaded to GWCloud."""
        return await self.get_job_type() is JobType.UPLOADED

    async def is_external(self) -> bool:
        """Whether the job's results live outside GWCloud."""
        return await self.get_job_type() is JobType.EXTERNAL

    async def set_name(self, name: str) -> None:
        """Rename the job on the server and here (see :meth:`BilbyJob.set_name`)."""
        await self.client._update_job(self.job_id, name=check_job_name(name))
        self.name = name

    async def set_description(self, description: str) -> None:
        """Change the job's description (see :meth:`BilbyJob.set_description`)."""
        await self.client._update_job(self.job_id, description=check_description(description))
        self.description = description

    async def set_event_id(self, event_id: EventID | str | None = None) -> None:
        """Attach the job to an event or detach it (see :meth:`BilbyJob.set_event_id`)."""
        self.event_id: EventID | None = await self.client._set_job_event_id(self.job_id, event_id)

    async def get_full_file_list(self) -> FileReferenceList:
        """List every file of the job (directories left out); this also learns its type."""
        files, _ = await self.client._get_job_files(self)
        return files

    async def _filtered(self, file_filter: FileFilter) -> FileReferenceList:
        return (await self.get_full_file_list()).filter_list(file_filter)

    async def _get(self, file_filter: FileFilter) -> list[tuple[Path, bytes]]:
        return await self.client.get_files_by_reference(await self._filtered(file_filter))

    async def _save(
        self, file_filter: FileFilter, root_path: PathLike, skip_existing: bool = False
    ) -> list[Path]:
        self.client._check_root([], root_path)
        check_bool(skip_existing, "skip_existing")
        refs = await self._filtered(file_filter)
        return await self.client.save_files_by_reference(
            refs, root_path, skip_existing=skip_existing
        )

    async def get_default_file_list(self) -> FileReferenceList:
        """The default files: PNGs in data/ and result/, config, HTML pages, result JSON."""
        return await self._filtered(BUILTIN_FILTERS["default"])

    async def get_default_files(self) -> list[tuple[Path, bytes]]:
        """Download the default files into memory as ``(path, bytes)`` pairs."""
        return await self._get(BUILTIN_FILTERS["default"])

    async def save_default_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the default files under ``root_path``, keeping their directories.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return await self._save(BUILTIN_FILTERS["default"], root_path, skip_existing)

    async def get_config_file_list(self) -> FileReferenceList:
        """The ``*_config_complete.ini`` files."""
        return await self._filtered(BUILTIN_FILTERS["config"])

    async def get_config_files(self) -> list[tuple[Path, bytes]]:
        """Download the config files into memory."""
        return await self._get(BUILTIN_FILTERS["config"])

    async def save_config_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the config files under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return await self._save(BUILTIN_FILTERS["config"], root_path, skip_existing)

    async def get_png_file_list(self) -> FileReferenceList:
        """Every PNG file."""
        return await self._filtered(BUILTIN_FILTERS["png"])

    async def get_png_files(self) -> list[tuple[Path, bytes]]:
        """Download every PNG into memory."""
        return await self._get(BUILTIN_FILTERS["png"])

    async def save_png_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save every PNG under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return await self._save(BUILTIN_FILTERS["png"], root_path, skip_existing)

    async def get_corner_plot_file_list(self) -> FileReferenceList:
        """The ``*_corner.png`` corner plots."""
        return await self._filtered(BUILTIN_FILTERS["corner_plot"])

    async def get_corner_plot_files(self) -> list[tuple[Path, bytes]]:
        """Download the corner plots into memory."""
        return await self._get(BUILTIN_FILTERS["corner_plot"])

    async def save_corner_plot_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the corner plots under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return await self._save(BUILTIN_FILTERS["corner_plot"], root_path, skip_existing)

    async def get_result_json_file_list(self) -> FileReferenceList:
        """The result JSON in result/ (merged result when there is one)."""
        return await self._filtered(BUILTIN_FILTERS["result_json"])

    async def get_result_json_files(self) -> list[tuple[Path, bytes]]:
        """Download the result JSON into memory."""
        return await self._get(BUILTIN_FILTERS["result_json"])

    async def save_result_json_files(
        self, root_path: PathLike, *, skip_existing: bool = False
    ) -> list[Path]:
        """Save the result JSON under ``root_path``.

        ``skip_existing=True`` leaves alone (and does not fetch) every file already
        saved there with its listed size.
        """
        return await self._save(BUILTIN_FILTERS["result_json"], root_path, skip_existing)

    @classmethod
    def register_file_list_filter(
        cls,
        name: str,
        file_list_filter_fn: Callable[[list[FileReference]], Sequence[FileReference]],
    ) -> None:
        """Add async ``get_<name>_file_list``, ``get_<name>_files`` and ``save_<name>_files``.

        Parameters
        ----------
        name : str
            A Python identifier naming the filter.
        file_list_filter_fn : callable
            Takes a list of :class:`FileReference` and returns the ones to keep.
        """
        check_filter(name, file_list_filter_fn)

        async def get_file_list(self: AsyncBilbyJob) -> FileReferenceList:
            return await self._filtered(file_list_filter_fn)

        async def get_files(self: AsyncBilbyJob) -> list[tuple[Path, bytes]]:
            return await self._get(file_list_filter_fn)

        async def save_files(
            self: AsyncBilbyJob, root_path: PathLike, *, skip_existing: bool = False
        ) -> list[Path]:
            return await self._save(file_list_filter_fn, root_path, skip_existing)

        get_file_list.__doc__ = f"The files kept by the {name!r} filter."
        get_files.__doc__ = f"Download the {name!r} files into memory as (path, bytes) pairs."
        save_files.__doc__ = f"Save the {name!r} files under root_path."
        setattr(cls, f"get_{name}_file_list", get_file_list)
        setattr(cls, f"get_{name}_files", get_files)
        setattr(cls, f"save_{name}_files", save_files)
        cls.FILE_LIST_FILTERS[name] = file_list_filter_fn

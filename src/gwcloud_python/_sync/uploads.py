# Generated from src/gwcloud_python/_async/uploads.py by tools/unasync.py: do not edit.
"""Submitting jobs from ini files and uploading finished jobs."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from .._archive import check_job_archive, check_job_directory, job_directory_archive
from .._client_base import SubmitRequest
from .._errors import GWCloudError, register_secret
from .._generated.bilby import SupportingFileUploadInput, Upload
from .._seams import offload
from ..helpers import Cluster
from .bilby_job import BilbyJob
from .jobs import Jobs

__all__ = ["Uploads"]

PathLike = str | os.PathLike[str]


class Uploads(Jobs):
    """The client's methods that create jobs: submitted from ini text or files, or uploaded."""

    def start_bilby_job_from_string(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> BilbyJob:
        """Submit a job from the text of a bilby_pipe ini file.

        Supporting files the ini names (prior, PSD, calibration files...) are
        read relative to the working directory and uploaded after the job is
        created.

        Parameters
        ----------
        job_name : str
            Name of the new job.
        job_description : str
            Its description.
        private : bool
            Whether only you may see it.
        ini_string : str
            Contents of the ini file.
        cluster : Cluster or str or None, optional
            Where to run it (``"ozstar"``, ``"cit"``); default lets the server choose.

        Returns
        -------
        BilbyJob
            The new job.

        Raises
        ------
        ValidationError
            An argument is invalid, the ini cannot be read as bilby_pipe reads it, or
            a supporting file it names is missing, unreadable, or outside the current
            directory (nothing is sent).
        AuthenticationError
            The client is anonymous.
        OperationOutcomeUnknown
            The job was created but its supporting files did not all arrive, or the
            server asked for a file the ini does not name (then nothing is uploaded);
            ``job_id`` names the job.
        """
        request = self._submit_request(
            job_name, job_description, private, ini_string, cluster, Path.cwd()
        )
        return self._submit(request)

    def start_bilby_job_from_file(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_file: PathLike,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> BilbyJob:
        """Submit a job from a bilby_pipe ini file; supporting files are relative to it.

        Parameters
        ----------
        ini_file : str or Path
            The ini file.
        job_name, job_description, private, cluster
            As for :meth:`start_bilby_job_from_string`.

        Returns
        -------
        BilbyJob
            The new job.

        Raises
        ------
        ValidationError
            The ini file is missing or not a bilby_pipe ini, a supporting file it names
            is missing, unreadable, absolute, or outside the ini file's directory
            (symbolic links included), or an argument is invalid; nothing is sent.
        AuthenticationError
            The client is anonymous.
        OperationOutcomeUnknown
            The job was created but its supporting files did not all arrive, or the
            server asked for a file the ini does not name (then nothing is read or
            uploaded); ``job_id`` names the job.
        """
        text, base_dir = self._read_ini_file(ini_file)
        request = self._submit_request(job_name, job_description, private, text, cluster, base_dir)
        return self._submit(request)

    def _submit(self, request: SubmitRequest) -> BilbyJob:
        created = (
            self._bilby.new_bilby_job_from_ini_string(
                name=request.name,
                private=request.private,
                ini_string=request.ini_string,
                description=request.description,
                cluster=request.cluster,
            )
        ).new_bilby_job_from_ini_string
        job_id = self._created_job_id(created, "new job")
        assert created is not None and created.result is not None
        try:
            wanted = self._supporting_paths(created.result.supporting_files or [], request)
        except GWCloudError as err:
            raise self._half_submitted(job_id, err, sent=False) from err
        sending = False
        try:
            if wanted:
                with ExitStack() as stack:
                    uploads = []
                    for local, token in wanted:
                        reader = stack.enter_context(self._open_upload(local))
                        self._check_same_file(local, reader, request)
                        upload = Upload(local.name, reader, "application/octet-stream")
                        uploads.append(
                            SupportingFileUploadInput(fileToken=token, supportingFile=upload)
                        )
                    sending = True
                    self._bilby.upload_supporting_files(supporting_files=uploads)
        except Exception as err:  # the job exists: every failure must name it
            raise self._half_submitted(job_id, err, sent=sending) from err
        return self.get_job_by_id(job_id, strict=True)

    def upload_external_job(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        url: str,
    ) -> BilbyJob:
        """Register a job whose results live elsewhere, at ``url``.

        Parameters
        ----------
        job_name, job_description, private, ini_string
            As for :meth:`start_bilby_job_from_string`.
        url : str
            Where the results are (a result file, a directory listing, a page).

        Returns
        -------
        BilbyJob
            The new job.
        """
        request = self._external_request(job_name, job_description, private, ini_string, url)
        created = (self._bilby.upload_external_bilby_job(**request)).upload_external_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "new job"), strict=True)

    def upload_job_archive(
        self, description: str, job_archive: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job from a ``.tar.gz`` of its output directory.

        The archive is checked first (gzip, ``data/``, ``result/``,
        ``results_page/``, exactly one ``*_config_complete.ini``) and streamed
        from disk.

        Parameters
        ----------
        description : str
            Description of the job.
        job_archive : str or Path
            The archive.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.
        """
        self._upload_checks(description, public)
        # Checking decompresses the whole archive: off the event loop.
        archive = offload(check_job_archive, job_archive)
        self._require_token("upload_job_archive")
        return self._upload_archive(description, archive, public)

    def upload_job_directory(
        self, description: str, job_directory: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job from its output directory.

        The directory is checked, packed into a temporary ``.tar.gz`` outside
        it (members under ``./``, built off the event loop) and streamed to the
        server.  Parts that do
        not compress (HDF5, PNG...) are stored rather than deflated, so packing
        costs little more than reading the files.  Every file is opened
        without following symlinks and must be the file the initial scan
        listed: anything swapped or replaced while the archive is written
        raises :class:`ValidationError` instead of being uploaded.

        Parameters
        ----------
        description : str
            Description of the job.
        job_directory : str or Path
            The job's output directory.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.
        """
        self._upload_checks(description, public)
        directory = offload(check_job_directory, job_directory)
        self._require_token("upload_job_directory")
        with job_directory_archive(directory) as archive:
            return self._upload_archive(description, archive, public)

    def _upload_token(self) -> str:
        grant = (self._bilby.generate_bilby_job_upload_token()).generate_bilby_job_upload_token
        if grant is None or not grant.token:
            raise GWCloudError("the server did not issue an upload token")
        register_secret(grant.token, owner=self, slot="upload")
        return grant.token

    def _upload_archive(self, description: str, archive: Path, public: bool) -> BilbyJob:
        token = self._upload_token()
        with self._open_upload(archive) as handle:
            created = (
                self._bilby.upload_bilby_job(
                    upload_token=token,
                    private=not public,
                    job_file=Upload(archive.name, handle, "application/gzip"),
                    description=description,
                )
            ).upload_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

    def upload_hdf5_job(
        self, description: str, hdf5_file: PathLike, ini_file: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job as one HDF5 result file plus its ini file (2026 service only).

        Both files are checked (they exist, are readable, and the result file
        is HDF5) before any request, then streamed from disk.

        Parameters
        ----------
        description : str
            Description of the job.
        hdf5_file : str or Path
            The job's HDF5 result file.
        ini_file : str or Path
            The ini file the job ran with.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.

        Raises
        ------
        ValidationError
            A file is missing, unreadable or not HDF5.
        GWCloudError
            The client talks to the 2023 service, which has no HDF5 upload.
        AuthenticationError
            The client is anonymous.
        """
        hdf5, ini = self._hdf5_request(description, hdf5_file, ini_file, public)
        token = self._upload_token()
        from .._generated.bilby2026 import Upload as Upload2026

        with self._open_upload(hdf5) as hdf5_handle, self._open_upload(ini) as ini_handle:
            created = (
                self._bilby2026.upload_hdf_5_bilby_job(
                    upload_token=token,
                    private=not public,
                    hdf_5_file=Upload2026(hdf5.name, hdf5_handle, "application/x-hdf5"),
                    ini_file=Upload2026(ini.name, ini_handle, "text/plain"),
                    description=description,
                )
            ).upload_hdf_5_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

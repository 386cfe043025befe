"""Finding jobs: what every client part builds on (its transports, its lazy login, its jobs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from .. import _constants as C
from .._client_base import PAGE_SIZE, ClientCore, PageGuard, job_not_found, lacks_ligo_flag
from .._errors import GraphQLError, NotFoundError
from .._generated.bilby import AsyncBilbyClient
from .._graphql import guarded
from .._job_answers import public_job_page
from .._seams import AsyncCall, async_offload
from .._transport import AsyncTransport, Transport
from .._validation import check_number, to_global_job_id
from ..file_reference import FileReferenceList
from ..helpers import TimeRange
from ..job_list import JobList
from .bilby_job import AsyncBilbyJob
from .graphql import AsyncChannel

if TYPE_CHECKING:
    from .._generated.bilby2026 import AsyncBilby2026Client

__all__ = ["AsyncJobs"]

_Full = TypeVar("_Full")
_Lean = TypeVar("_Lean")


class AsyncJobs(ClientCore):
    """The client's connections, its login, and the methods that find and change jobs."""

    #: The transport of GraphQL requests; low level, not a stable API.
    client: AsyncTransport
    #: The transport of token exchanges and file transfers (the same object in the sync client).
    sync_client: Transport
    _bilby: AsyncBilbyClient
    _channel: AsyncChannel
    _authenticated: bool

    @cached_property
    def _bilby2026(self) -> AsyncBilby2026Client:
        """The operations only the 2026 service has, loaded at their first use.

        A client of the 2023 service never imports them (fewer objects for the
        garbage collector to walk in every script that only lists and downloads).
        """
        from .._generated.bilby2026 import AsyncBilby2026Client

        return guarded(AsyncBilby2026Client(url=self.endpoint, http_client=self._channel))

    def _open_transports(self, transports: tuple[AsyncTransport, Transport]) -> None:
        self.client, self.sync_client = transports

    async def authenticate(self) -> None:
        """Check the token now (JWT exchange or session check) instead of at the first request.

        Every request makes sure of this first, so calling it is never needed;
        it lets a script fail early on a refused token.

        Raises
        ------
        GWCloudAuthenticationError
            The token was refused.
        """
        if self._authenticated:
            return
        self._authenticated = True  # the session check below is itself a request
        try:
            if self._jwt is not None:
                await async_offload(self._jwt.current_jwt)
            elif self.service == "2026":
                session = (await self._bilby2026.session_user()).session_user
                self._session_refused(session.is_authenticated if session else None)
        except BaseException:
            self._authenticated = False
            raise

    async def _read(self, full: AsyncCall[_Full], lean: AsyncCall[_Lean]) -> _Full | _Lean:
        """Send a read that selects the LIGO flag, or its twin without it.

        The service has announced that it drops ``EventIDType.isLigoEvent``. While the
        client believes the service still has it, ``full`` is sent; when the service
        refuses it for naming that field (a validation error: nothing ran), the client
        remembers, and sends ``lean`` then and from then on.

        Parameters
        ----------
        full : callable
            Sends the operation that selects ``isLigoEvent``.
        lean : callable
            Sends its ``...NoLigoFlag`` twin.

        Returns
        -------
        object
            The answer of whichever was sent last.
        """
        if self._ligo_flag:
            try:
                return await full()
            except GraphQLError as err:
                if not lacks_ligo_flag(err):
                    raise
                self._ligo_flag = False
        return await lean()

    async def _send_ligo_flag(self, mutation: AsyncCall[object]) -> None:
        """Send a mutation that names the LIGO flag (the caller passed ``is_ligo_event``).

        Raises
        ------
        ValidationError
            The service has no ``isLigoEvent``: known before (nothing is sent), or
            learnt from its refusal (the mutation was not run).
        """
        if not self._ligo_flag:
            raise self._ligo_flag_refused()
        try:
            await mutation()
        except GraphQLError as err:
            if lacks_ligo_flag(err):
                raise self._ligo_flag_refused(err) from err
            raise

    async def aclose(self) -> None:
        """Close the client's connections.

        Later calls raise :class:`~gwcloud_python.ClientClosedError`.
        """
        await self.client.aclose()
        self.sync_client.close()

    # -- listing ----------------------------------------------------------------------------

    async def _walk(
        self,
        fetch: Callable[..., Any],
        page_size: int,
        limit: int | None,
        build: Callable[[Any, Any], AsyncBilbyJob] = AsyncBilbyJob._from_gql,
    ) -> AsyncIterator[AsyncBilbyJob]:
        """Yield jobs page by page.

        ``fetch(first=, after=)`` gives one page's nodes and the next cursor;
        ``build(client, node)`` makes a job of a node.
        """
        seen, after = 0, None
        pages = PageGuard(self.endpoint)
        while True:
            nodes, after = await fetch(**self._page_request(page_size, limit, seen, after))
            pages.advance(nodes, after)
            for node in nodes[: None if limit is None else limit - seen]:
                seen += 1
                yield build(self, node)
            if after is None or (limit is not None and seen >= limit):
                return

    def _walk_public(
        self, search: str, time_range: str, page_size: int, limit: int | None
    ) -> AsyncIterator[AsyncBilbyJob]:
        # The answer's JSON, not models: see gwcloud_python._job_answers.
        async def fetch(**page: Any) -> Any:
            data = await self._read(
                lambda: self._bilby.public_bilby_jobs_data(
                    time_range=time_range, search=search, **page
                ),
                lambda: self._bilby.public_bilby_jobs_no_ligo_flag_data(
                    time_range=time_range, search=search, **page
                ),
            )
            # _read sent the twin without the flag exactly when the flag is now off
            with_flag = self._ligo_flag
            operation = "PublicBilbyJobs" if with_flag else "PublicBilbyJobsNoLigoFlag"
            return public_job_page(data, operation, ligo_flag=with_flag)

        return self._walk(fetch, page_size, limit, AsyncBilbyJob._from_answer)

    def _walk_user(self, page_size: int, limit: int | None) -> AsyncIterator[AsyncBilbyJob]:
        async def fetch(**page: Any) -> Any:
            result = await self._read(
                lambda: self._bilby.bilby_jobs(**page),
                lambda: self._bilby.bilby_jobs_no_ligo_flag(**page),
            )
            return self._page_nodes(result.bilby_jobs)

        return self._walk(fetch, page_size, limit)

    async def get_public_job_list(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        number: int = 100,
    ) -> JobList[AsyncBilbyJob]:
        """Search public jobs by terms and creation time.

        Parameters
        ----------
        search : str, optional
            Terms matched against name, description, user, event ID and
            labels (``labels.name:Official`` matches a label exactly).
        time_range : TimeRange or str, optional
            Creation-time window, a :class:`TimeRange` or ``"all"``, ``"1d"``,
            ``"1w"``, ``"1m"``, ``"1y"``.  Default: any time.
        number : int, optional
            How many jobs to return at most (positive), default 100.

        Returns
        -------
        JobList of AsyncBilbyJob
            Matching jobs in the server's order (newest first): a plain list that
            also prints as a table and offers :meth:`JobList.to_pandas`.

        Raises
        ------
        ValidationError
            An argument is invalid.
        GraphQLError, TransportError
            The request failed.
        """
        terms, window, limit = self._public_args(search, time_range, number)
        return JobList([job async for job in self._walk_public(terms, window, limit, limit)])

    def iter_public_jobs(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        *,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[AsyncBilbyJob]:
        """Walk every matching public job, fetching one page at a time.

        Parameters
        ----------
        search, time_range
            As for :meth:`get_public_job_list`.
        page_size : int, optional
            Jobs fetched per request.

        Yields
        ------
        AsyncBilbyJob
            Each matching job, newest first.
        """
        terms, window, size = self._public_args(search, time_range, page_size)
        return self._walk_public(terms, window, size, None)

    async def get_official_job_list(self, search: str = "") -> JobList[AsyncBilbyJob]:
        """Every public job labelled *Official* that matches ``search``, any creation time.

        Parameters
        ----------
        search : str, optional
            Extra search terms.

        Returns
        -------
        JobList of AsyncBilbyJob
            The official jobs, newest first.
        """
        terms = self._official_search(search)
        walk = self._walk_public(terms, TimeRange.ANY.value, PAGE_SIZE, None)
        return JobList([job async for job in walk])

    async def get_user_jobs(self, number: int = 100) -> JobList[AsyncBilbyJob]:
        """The caller's own jobs, most recently updated first.

        Parameters
        ----------
        number : int, optional
            How many jobs to return at most (positive), default 100.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        ValidationError
            ``number`` is not a positive integer.
        """
        limit = check_number(number)
        self._require_token("get_user_jobs")
        return JobList([job async for job in self._walk_user(limit, limit)])

    def iter_user_jobs(self, *, page_size: int = PAGE_SIZE) -> AsyncIterator[AsyncBilbyJob]:
        """Walk all of the caller's jobs, fetching one page at a time.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        """
        check_number(page_size, "page_size")
        self._require_token("iter_user_jobs")
        return self._walk_user(page_size, None)

    # -- one job ----------------------------------------------------------------------------

    @overload
    async def get_job_by_id(self, job_id: str | int, *, strict: Literal[True]) -> AsyncBilbyJob: ...

    @overload
    async def get_job_by_id(
        self, job_id: str | int, *, strict: bool = False
    ) -> AsyncBilbyJob | None: ...

    async def get_job_by_id(
        self, job_id: str | int, *, strict: bool = False
    ) -> AsyncBilbyJob | None:
        """Fetch one job by its ID.

        Parameters
        ----------
        job_id : str or int
            The ID as :attr:`AsyncBilbyJob.job_id` gives it, or the job's integer key.
        strict : bool, optional
            Raise :class:`NotFoundError` instead of returning None when there is no
            such job (keyword only).

        Returns
        -------
        AsyncBilbyJob or None
            The job; None when it does not exist or is not visible to this client
            (as in gwcloud-python 1.x), unless ``strict``.

        Raises
        ------
        ValidationError
            ``job_id`` is not a job ID.
        NotFoundError
            With ``strict=True``: no such job, or not visible to this client.
        """
        global_id = to_global_job_id(job_id)
        try:
            answer = await self._read(
                lambda: self._bilby.bilby_job(id=global_id),
                lambda: self._bilby.bilby_job_no_ligo_flag(id=global_id),
            )
            node = answer.bilby_job
        except NotFoundError:
            if strict:
                raise
            return None
        if node is None:
            if strict:
                raise job_not_found(job_id)
            return None
        return AsyncBilbyJob._from_gql(self, node)

    async def _jobs_in_full(self, job_ids: Sequence[str]) -> list[AsyncBilbyJob | None]:
        """Each job in full, as :meth:`get_job_by_id` gives it, ten to a request.

        Public listings select only what a listed job needs; the command line's
        ``jobs search --json`` completes them with this.  None where a job is not
        visible to this client.
        """
        found: list[AsyncBilbyJob | None] = []
        size = C.JOBS_PER_FULL_REQUEST
        for start in range(0, len(job_ids), size):
            chunk = [to_global_job_id(job_id) for job_id in job_ids[start : start + size]]
            ids = chunk + [chunk[-1]] * (size - len(chunk))  # the query always names ten
            answer = await self._read(
                partial(self._bilby.bilby_jobs_by_id, *ids),
                partial(self._bilby.bilby_jobs_by_id_no_ligo_flag, *ids),
            )
            nodes = (
                answer.j_0, answer.j_1, answer.j_2, answer.j_3, answer.j_4,
                answer.j_5, answer.j_6, answer.j_7, answer.j_8, answer.j_9,
            )  # fmt: skip
            found.extend(
                None if node is None else AsyncBilbyJob._from_gql(self, node)
                for node in nodes[: len(chunk)]
            )
        return found

    # -- used by the job objects ------------------------------------------------------------

    async def _update_job(self, job_id: str, **changes: str) -> None:
        self._require_token("updating a job")
        await self._bilby.update_bilby_job(job_id=job_id, **changes)

    async def _get_files_by_bilby_job(self, job: AsyncBilbyJob) -> FileReferenceList:
        # gwcloud-python 1.x's name for this step; the job's get_full_file_list calls it.
        listing = (await self._bilby.bilby_result_files(job_id=job.job_id)).bilby_result_files
        files, _ = self._listing(job, listing)
        return files

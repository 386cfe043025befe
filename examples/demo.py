"""A tour of gwcloud-python against the embedded local GWCloud server.

Run with ``make demo``: it starts a local server on a free loopback port,
loads the demo data set, and then uses the library exactly as a scientist
would against the real service.  Nothing leaves this machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from gwcloud_python import GWCloud, TimeRange
from gwcloud_python.server import LocalServer


def step(text: str) -> None:
    print(f"\n== {text}")


def main() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="gwcloud-demo-") as scratch,
        LocalServer(job_duration=1.0) as server,
    ):
        work = Path(scratch)
        demo = server.seed_demo()
        print(f"local GWCloud server at {server.base_url}")

        step("Anonymous, read-only access: search the public jobs")
        public = GWCloud(
            auth_endpoint=server.auth_endpoint, endpoint=server.endpoint, progress=False
        )
        for job in public.get_public_job_list(time_range=TimeRange.ANY, number=10):
            print(f"  {job.name:<22} {job.status}  event={job.event_id}")

        step("Official jobs for GW150914")
        official = public.get_official_job_list("GW150914")
        for job in official:
            print(f"  {job!r}")

        step("Download the default result files of the official GW150914 job")
        job = next(j for j in official if j.name == "GW150914")
        files = job.get_default_file_list()
        print(f"  {len(files)} files, {files.get_total_bytes()} bytes")
        saved = job.save_default_files(work / "GW150914")
        for path in saved:
            print(f"  saved {path.relative_to(work)}")

        step("Event IDs")
        for event in public.get_all_event_ids():
            print(f"  {event.event_id}  trigger={event.trigger_id}  nickname={event.nickname}")

        step("Authenticated: submit a job from an ini file with a supporting prior file")
        gw = GWCloud(
            demo["users"]["demo"],
            auth_endpoint=server.auth_endpoint,
            endpoint=server.endpoint,
            progress=False,
        )
        (work / "GW150914.prior").write_text("chirp_mass = Uniform(25, 35)\n")
        ini = work / "GW150914.ini"
        ini.write_text(
            "label = my_gw150914\ntrigger-time = 1126259462.391\n"
            "detectors = ['H1', 'L1']\nprior-file = GW150914.prior\n"
        )
        submitted = gw.start_bilby_job_from_file("my_gw150914", "demo run", True, ini)
        print(f"  submitted {submitted!r}: {submitted.status}")
        deadline = time.monotonic() + 30
        while submitted.status is None or submitted.status.status != "Completed":
            if time.monotonic() > deadline:
                print("  the job did not complete in time", file=sys.stderr)
                return 1
            time.sleep(0.5)
            submitted = gw.get_job_by_id(submitted.job_id)
        print(f"  now {submitted.status}")
        corner = submitted.get_corner_plot_files()
        print(f"  corner plot: {corner[0][0]} ({len(corner[0][1])} bytes)")
        submitted.set_event_id("GW150914_095045")
        print(f"  attached to {submitted.event_id}")

        step("Upload a finished job directory")
        job_dir = work / "uploaded_run"
        for sub in ("data", "result", "results_page"):
            (job_dir / sub).mkdir(parents=True)
        (job_dir / "uploaded_run_config_complete.ini").write_text("label = uploaded_run\n")
        (job_dir / "result" / "uploaded_run_result.json").write_text('{"posterior": {}}')
        (job_dir / "results_page" / "home.html").write_text("<html>results</html>")
        uploaded = gw.upload_job_directory("uploaded by the demo", job_dir, public=True)
        print(f"  uploaded {uploaded!r}, uploaded={uploaded.is_uploaded()}")

        step("Your jobs")
        for mine in gw.get_user_jobs():
            print(f"  {mine.name:<22} {mine.status}")
        public.close()
        gw.close()
    print("\ndemo finished")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

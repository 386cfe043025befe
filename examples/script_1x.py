"""A gwcloud-python 1.x user script, kept verbatim to prove it still runs.

Only the constructor line differs between deployments: the 2023 service takes
``auth_endpoint`` and ``endpoint``; the 2026 service takes its one endpoint.
``tests/e2e/test_script_1x.py`` runs this file against both local server modes.
"""

import sys
from pathlib import Path

from gwcloud_python import FileReferenceList, GWCloud, TimeRange

TOKEN, AUTH_ENDPOINT, ENDPOINT, OUT = sys.argv[1:5]

gw = GWCloud(token=TOKEN, auth_endpoint=AUTH_ENDPOINT, endpoint=ENDPOINT)  # CONSTRUCTOR

jobs = gw.get_public_job_list(search="GW150914", time_range=TimeRange.ANY, number=10)
print("public jobs:", sorted(job.name for job in jobs))

official = gw.get_official_job_list()
job = next(j for j in official if j.name == "GW150914")
print("status:", job.status.status)

files = job.get_default_file_list()
assert isinstance(files, FileReferenceList)
pngs = files.filter_list_by_path(extension="png")
print("default files:", len(files), "pngs:", len(pngs), "bytes:", files.get_total_bytes())

job.save_corner_plot_files(OUT)
for path, content in job.get_config_files():
    print("config:", path, len(content))

mine = gw.get_user_jobs(number=5)
print("my jobs:", len(mine))

event = gw.get_event_id("GW150914_095045")
print("event:", event.event_id, event.nickname, event.gps_time)

print("saved:", sorted(str(p.relative_to(OUT)) for p in Path(OUT).rglob("*.png")))

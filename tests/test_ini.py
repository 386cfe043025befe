"""The one ini reader (client and local server) reads ini files as bilby_pipe does.

Expected values below were checked against bilby_pipe 1.10.1's own config-file
parser (``BilbyConfigFileParser``); the fixture files in ``tests/data/ini/`` are
written in the formats bilby_pipe documents and writes (its "The ini file" page,
``bilby_pipe_write_default_ini`` output, asimov's one-line dicts, multi-line
dicts with and without trailing commas, a multi-line ``prior-dict``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_TOKEN,
    FakeGraphQL,
    job_node,
    jwt_answer,
    private_job_node,
)

from gwcloud_python import GWCloud, ValidationError
from gwcloud_python import _ini as ini
from gwcloud_python.server import ini as server_ini

DATA = Path(__file__).parent / "data" / "ini"


def read(name: str) -> dict[str, str]:
    return ini.parse_ini((DATA / name).read_text())


# -- the formats bilby_pipe documents -------------------------------------------------------


def test_docs_example() -> None:
    values = read("docs_example.ini")
    assert values == {
        "trigger-time": "1126259462.4",
        "duration": "4",
        "detectors": "[H1, L1]",
        "sampler-kwargs": "{nlive: 500, method='rwalk', 'n_check_point' = 1000}",
    }
    assert ini.supporting_file_paths(values) == []


def test_default_ini_style() -> None:
    values = read("default_style.ini")
    assert values["psd-dict"] == "{H1:h1_psd.txt, L1:l1_psd.txt}"
    assert values["prior-file"] == "GW150914.prior"  # written prior_file
    assert values["gps-tuple"] == "None"
    assert "calibration-model" in values and values["label"] == "GW150914"
    assert ini.supporting_file_paths(values) == ["GW150914.prior", "h1_psd.txt", "l1_psd.txt"]


def test_multiline_dicts_with_and_without_commas() -> None:
    values = read("multiline_psd.ini")
    assert values == {
        "label": "multiline",
        "trigger-time": "1126259462.4",
        "detectors": "[H1, L1]",
        "psd-dict": "{H1: psds/h1_psd.txt, L1: psds/l1_psd.txt, }",
        "spline-calibration-envelope-dict": (
            "{H1: \"calibration/h1.txt\", L1: 'calibration/l1.txt'}"
        ),
        "prior-file": "GW150914.prior",
    }
    assert ini.supporting_file_paths(values) == [
        "GW150914.prior",
        "psds/h1_psd.txt",
        "psds/l1_psd.txt",
        "calibration/h1.txt",
        "calibration/l1.txt",
    ]


def test_asimov_one_line_dicts_and_default_prior() -> None:
    values = read("asimov_style.ini")
    assert ini.supporting_file_paths(values) == [
        "psds/H1-psd.dat",
        "psds/L1-psd.dat",
        "cal/H1_uncertainty.txt",
        "cal/L1_uncertainty.txt",
    ]  # prior-file=4s is a prior bilby_pipe ships


def test_multiline_prior_dict() -> None:
    values = read("prior_dict.ini")
    assert values["prior-dict"].startswith("{chirp_mass = bilby.gw.prior.UniformInComponents")
    assert values["prior-dict"].endswith("dec = Cosine(name='dec'), }")
    assert "chirp-mass" not in values and "dec" not in values
    assert ini.supporting_file_paths(values) == []


# -- the grammar, line by line --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("label = x\n", {"label": "x"}),
        ("label=x\n", {"label": "x"}),
        ("label: x\n", {"label": "x"}),
        ("label x\n", {"label": "x"}),
        ("flag\n", {"flag": "true"}),
        ("Label = X\n", {"Label": "X"}),  # case matters
        ("n_parallel = 2\n", {"n-parallel": "2"}),
        ("label = a;b\n", {"label": "a;b"}),
        ("label = a ;comment\n", {"label": "a"}),
        ("label = run#1\n", {"label": "run"}),  # bilby_pipe cuts at any '#'
        ("# c\n; c\n[section]\n--- c\nlabel = x\n", {"label": "x"}),
        ("label = x\r\nduration = 4\r\n", {"label": "x", "duration": "4"}),
        ("psd-dict = {H1: a.txt,\nL1: b.txt}\n", {"psd-dict": "{H1: a.txt, L1: b.txt}"}),
        ("psd-dict = {H1: a.txt\nL1: b.txt}\n", {"psd-dict": "{H1: a.txt, L1: b.txt}"}),
        ("psd-dict = {\nH1: a.txt\n}", {"psd-dict": "{H1: a.txt, }"}),  # no final newline
        ("psd-dict = {\n# note\nH1: a.txt,\n}\n", {"psd-dict": "{H1: a.txt, }"}),
        ("psd-dict = {\n\nH1: a.txt\n}\n", {"psd-dict": "{H1: a.txt}"}),
        ("detectors = [H1,\n  L1]\n", {"detectors": "[H1, L1]"}),
        ("psd-dict = {}\n", {"psd-dict": "{}"}),
    ],
)
def test_lines(text: str, expected: dict[str, str]) -> None:
    assert ini.parse_ini(text) == expected


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("label = a\nlabel = b\n", 2, "'label' is set again (first set on line 1)"),
        ("prior_file = a\nprior-file = b\n", 2, "'prior-file' is set again"),
        (
            "psd-dict = {\nH1: a\nL1: b\n}\n"
            "spline-calibration-envelope-dict = {\nH1: c\nL1: d\n}\n",
            7,
            "end each entry with a comma",
        ),
        ("psd-dict = {\nH1: a,\n", 1, "never closed"),
        ("x = {a: 1\ny: {b\nz: c}\n", 2, "not supported"),
        ("label = x\n=oops\n", 2, "cannot read '=oops'"),
        ("label=\n", 1, "cannot read 'label='"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ini.IniError) as info:
        ini.parse_ini(text)
    assert info.value.line == line
    assert words in str(info.value) and str(info.value).startswith(f"line {line}:")
    assert isinstance(info.value, ValueError)


def test_parse_dict_is_loose_like_bilby_pipe() -> None:
    assert ini.parse_dict("{H1: 'a b.txt', L1 = \"c.txt\", V1:v.txt,}") == {
        "H1": "ab.txt",
        "L1": "c.txt",
        "V1": "v.txt",
    }
    assert ini.parse_dict("None") == {}
    assert ini.parse_dict("{}") == {}


@pytest.mark.parametrize(
    "raw",
    ["H1: a.txt", "{H1: a.txt, L1}", "{H1: {a: b}}", "{H1: a.txt,, L1: b.txt}", "{H1: [a, b]}"],
)
def test_parse_dict_refuses_what_bilby_pipe_refuses(raw: str) -> None:
    with pytest.raises(ini.IniError, match="psd-dict must be a"):
        ini.parse_dict(raw, "psd-dict")
    with pytest.raises(ini.IniError):
        ini.supporting_file_paths({"psd-dict": raw})


def test_which_values_are_files() -> None:
    values = ini.parse_ini(
        "prior-file = high_mass\n"
        "gps-file = 'gps.txt'\n"
        "timeslide-file = None\n"
        "injection-file = inj.json\n"
        "psd-dict = {H1: same.txt, L1: same.txt}\n"
        "numerical-relativity-file = nr.h5\n"
        "distance-marginalization-lookup-table = outdir/.4s_lookup.npz\n"
        "data-dict = {H1: h1.gwf}\n"
    )
    assert ini.supporting_file_paths(values) == [
        "gps.txt",
        "inj.json",
        "same.txt",
        "same.txt",  # one upload per dict entry, as the service lists them
        "nr.h5",
        "h1.gwf",
    ]
    assert ini.supporting_file_paths(ini.parse_ini("prior-file = myprior\n")) == ["myprior"]


def test_server_uses_the_same_reader() -> None:
    assert server_ini.parse_ini is ini.parse_ini
    assert server_ini.supporting_file_paths is ini.supporting_file_paths


# -- which local files may be uploaded ------------------------------------------------------


def test_local_files_are_confined_to_the_ini_directory(tmp_path: Path) -> None:
    base = tmp_path / "run"
    (base / "psds").mkdir(parents=True)
    (base / "psds" / "h1.txt").write_text("h1")
    (base / "real.prior").write_text("p")
    (base / "linked.prior").symlink_to(base / "real.prior")
    (base / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (base / "escape.txt").symlink_to(tmp_path / "secret.txt")
    text = (
        "prior-file = linked.prior\n"
        "psd-dict = {H1: ./psds/h1.txt, L1: ../secret.txt, V1: /etc/passwd, K1: escape.txt}\n"
        "gps-file = missing.txt\n"
        "injection-file = sub\n"
    )
    files, problems = ini.local_supporting_files(text, base)
    assert sorted(f.written for f in files.values()) == ["./psds/h1.txt", "linked.prior"]
    assert files[str(base / "linked.prior")].path == (base / "real.prior").resolve()
    joined = "\n".join(problems)
    assert "'../secret.txt' is outside the ini file's directory" in joined
    assert "'/etc/passwd' is an absolute path" in joined
    assert "'escape.txt' leads (through a symbolic link)" in joined
    assert "'missing.txt' does not exist" in joined
    assert "'sub' is not a regular file" in joined
    assert len(problems) == 5


def test_requested_files_must_be_named_by_the_ini(tmp_path: Path) -> None:
    (tmp_path / "h1.txt").write_text("h1")
    files, problems = ini.local_supporting_files("psd-dict = {H1: h1.txt}\n", tmp_path)
    assert problems == []
    pairs, refused = ini.match_requested_files(
        [
            ("h1.txt", "t1"),
            ("./h1.txt", "t2"),
            ("'h1.txt'", "t3"),
            ("/etc/passwd", "t4"),
            ("../secret", "t5"),
            (str(tmp_path / "h1.txt"), "t6"),
            ("other.txt", "t7"),
            ("", "t8"),
        ],
        files,
        tmp_path,
    )
    assert [token for _, token in pairs] == ["t1", "t2", "t3"]
    assert refused == ["/etc/passwd", "../secret", str(tmp_path / "h1.txt"), "other.txt", ""]


# -- the client: nothing is sent until every file is there ----------------------------------


def _client(fake: FakeGraphQL) -> GWCloud:
    fake.on("JwtToken", jwt_answer())
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, progress=False)
    gw.client.sleep = lambda _s: None
    return gw


def _copy_fixture(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.write_text((DATA / name).read_text())
    return target


def test_multiline_ini_uploads_every_file(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    ini_file = _copy_fixture(tmp_path, "multiline_psd.ini")
    names = ini.supporting_file_paths(ini.parse_ini(ini_file.read_text()))
    for index, name in enumerate(names):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(f"content-{index}".encode())
    gw = _client(fake_gql)
    listed = [{"filePath": name, "token": f"t{i}"} for i, name in enumerate(names)]
    fake_gql.on(
        "NewBilbyJobFromIniString",
        {
            "data": {
                "newBilbyJobFromIniString": {
                    "result": {"jobId": job_node(4)["id"], "supportingFiles": listed}
                }
            }
        },
    )
    fake_gql.on(
        "UploadSupportingFiles", {"data": {"uploadSupportingFiles": {"result": {"result": True}}}}
    )
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(4, "multiline")}})
    gw.start_bilby_job_from_file("multiline", "d", False, ini_file)
    assert fake_gql.names()[-3:] == [
        "NewBilbyJobFromIniString",
        "UploadSupportingFiles",
        "BilbyJob",
    ]
    upload = fake_gql.calls[-2]
    assert [f["fileToken"] for f in upload[1]["supportingFiles"]] == [
        f"t{i}" for i in range(len(names))
    ]
    body = upload[2].read()
    assert all(f"content-{i}".encode() in body for i in range(len(names)))


@pytest.mark.parametrize(
    "ini_text",
    [
        "psd-dict = {\n  H1: h1.txt,\n  L1: l1_missing.txt\n}\n",  # the line reader missed this
        "psd-dict = {\n  H1: h1.txt\n  L1: l1_missing.txt\n}\n",
        "prior-file = ../outside.prior\n",
        "prior-file = /etc/hostname\n",
        "label = a\nlabel = b\n",
    ],
)
def test_nothing_is_sent_unless_every_file_is_there(
    fake_gql: FakeGraphQL, tmp_path: Path, ini_text: str
) -> None:
    (tmp_path / "h1.txt").write_text("h1")
    (tmp_path.parent / "outside.prior").write_text("p")
    ini_file = tmp_path / "run.ini"
    ini_file.write_text(ini_text)
    gw = _client(fake_gql)
    with pytest.raises(ValidationError):
        gw.start_bilby_job_from_file("n", "d", False, ini_file)
    with pytest.raises(ValidationError):
        cwd = Path.cwd()
        os.chdir(tmp_path)
        try:
            gw.start_bilby_job_from_string("n", "d", False, ini_text)
        finally:
            os.chdir(cwd)
    assert "NewBilbyJobFromIniString" not in fake_gql.names()
    assert "UploadSupportingFiles" not in fake_gql.names()

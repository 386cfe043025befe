"""Ported from gwcloud-python 1.15.0 ``utils/tests/test_file_upload.py``:
unchanged but for formatting (``mocker`` is the stand-in from ``conftest.py``).
"""

from pathlib import Path
from tempfile import NamedTemporaryFile, TemporaryDirectory

import pytest

from gwcloud_python.utils.file_upload import check_file


def test_get_endpoint_from_uploaded():
    with TemporaryDirectory() as tmp_dir:
        with NamedTemporaryFile(dir=tmp_dir) as test_file:
            file_name = check_file(test_file.name)
            assert file_name == Path(test_file.name)

        with pytest.raises(Exception):
            check_file(tmp_dir / "nonexistant")

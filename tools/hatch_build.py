"""Hatch build hook: package data that only a built wheel carries.

A wheel maps the recorded schemas to ``gwcloud_python/_schema`` and the GraphQL operations
to ``gwcloud_python/_queries``. An editable install reads both from the repository
(``schema/`` and ``queries/``) instead: hatchling would otherwise copy them into
``site-packages/gwcloud_python/``, where they go stale and make a second, namespace
``gwcloud_python`` that confuses type checkers. Developer files next to the schemas
(``STAMP.json``, ``REFRESH_REPORT.txt``) are not shipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: (source directory, destination inside the wheel, glob of the files shipped)
PACKAGE_DATA = (
    ("schema", "gwcloud_python/_schema", "*.graphql"),
    ("queries", "gwcloud_python/_queries", "*.graphql"),
)


class PackageDataHook(BuildHookInterface):  # type: ignore[type-arg]
    """Force-include the schemas and operations into non-editable wheels."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Add every shipped ``.graphql`` file to the wheel's forced inclusions."""
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        for source, destination, pattern in PACKAGE_DATA:
            for path in sorted((root / source).rglob(pattern)):
                relative = path.relative_to(root / source).as_posix()
                build_data["force_include"][str(path)] = f"{destination}/{relative}"

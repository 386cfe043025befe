"""ariadne-codegen plugins of this project (named in ``codegen/*.toml``).

:class:`AnswerDataMethods` gives chosen operations a second client method,
``<method>_data``, that sends the same document and returns the answer's ``data``
as decoded JSON instead of validating it into pydantic models.  The facade uses it
where a call builds thousands of domain objects from one answer (public job
lists): the models of every job would be built only to be thrown away, and they
are most of the garbage the call makes.  The facade then checks each value's type
itself.

The operations are named in the configuration, outside ariadne-codegen's own
section (it refuses unknown keys)::

    [tool.gwcloud-codegen]
    data_methods = ["PublicBilbyJobs"]
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from ariadne_codegen.plugins.base import Plugin

__all__ = ["AnswerDataMethods"]


class AnswerDataMethods(Plugin):  # type: ignore[misc]
    """Add ``<method>_data`` twins that return the answer's ``data`` unvalidated."""

    def __init__(self, schema: Any, config_dict: dict[str, Any]) -> None:
        super().__init__(schema, config_dict)
        section = config_dict.get("tool", {}).get("gwcloud-codegen", {})
        self._wanted = set(section.get("data_methods", []))
        self._twins: list[ast.AsyncFunctionDef | ast.FunctionDef] = []

    def generate_client_method(self, method_def: Any, operation_definition: Any) -> Any:
        """Remember a data twin of ``method_def`` when its operation is one of the chosen."""
        name = operation_definition.name.value if operation_definition.name else None
        if name in self._wanted:
            self._twins.append(_data_twin(method_def, name))
        return method_def

    def generate_client_class(self, class_def: ast.ClassDef) -> ast.ClassDef:
        """Put every remembered twin right after the method it copies."""
        for twin in self._twins:
            original = twin.name.removesuffix("_data")
            index = next(
                i
                for i, item in enumerate(class_def.body)
                if isinstance(item, (ast.AsyncFunctionDef, ast.FunctionDef))
                and item.name == original
            )
            class_def.body.insert(index + 1, twin)
        self._twins = []
        return class_def


def _data_twin(
    method_def: ast.AsyncFunctionDef | ast.FunctionDef, operation: str
) -> ast.AsyncFunctionDef | ast.FunctionDef:
    """``method_def`` renamed ``<name>_data``, returning ``data`` (a ``dict[str, Any]``)."""
    twin = copy.deepcopy(method_def)
    twin.name = f"{method_def.name}_data"
    twin.returns = ast.Subscript(
        value=ast.Name(id="dict", ctx=ast.Load()),
        slice=ast.Tuple(
            elts=[ast.Name(id="str", ctx=ast.Load()), ast.Name(id="Any", ctx=ast.Load())],
            ctx=ast.Load(),
        ),
        ctx=ast.Load(),
    )
    last = twin.body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Call)):
        raise SystemExit(f"codegen_plugins: unexpected end of the {operation} method")
    last.value = ast.Name(id="data", ctx=ast.Load())
    return twin

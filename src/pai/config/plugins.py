"""Code the user brings: a scoring method, an architecture or a dataset loader, named from the
config by a reference ``"path/to/file.py:function"`` (relative to the working directory) or
``"package.module:function"`` (an importable module).

Two halves, so that planning stays fast and free of torch:
- while planning, :func:`check_reference` reads the plugin's source with :mod:`ast` (nothing is
  imported): the file or module exists, parses, defines the function with the expected
  parameters; :func:`digest` hashes the source, so that editing a plugin reruns its jobs;
- in a job, :func:`load` imports the module and returns the function.

Every error is a :class:`PluginError` that names the config key, the reference and the problem.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PluginError(Exception):
    """A plugin cannot be used; the message names the plugin, its function and the problem."""


@dataclass(frozen=True)
class Reference:
    """Where a plugin's function lives."""

    text: str  # as written in the config
    module: str  # a module name, or "" for a file
    path: str  # the file, as written (relative to the working directory), or ""
    function: str

    @property
    def is_file(self) -> bool:
        return bool(self.path)


def parse_reference(text: str, key: str) -> Reference:
    if not isinstance(text, str) or text.count(":") < 1:
        raise PluginError(
            f"{key}: {text!r} is not a plugin reference; write 'path/to/file.py:function' "
            "or 'package.module:function'"
        )
    where, function = text.rsplit(":", 1)
    if not function.isidentifier() or not where:
        raise PluginError(f"{key}: {text!r} does not end in ':function_name'")
    if where.endswith(".py") or "/" in where or "\\" in where:
        return Reference(text, "", where, function)
    if not all(part.isidentifier() for part in where.split(".")):
        raise PluginError(f"{key}: {where!r} is neither a .py file nor a module name")
    return Reference(text, where, "", function)


def source_file(ref: Reference, base: Path, key: str) -> Path:
    """The file that holds the plugin's source (found without importing it)."""
    if ref.is_file:
        path = (base / ref.path) if not Path(ref.path).is_absolute() else Path(ref.path)
        if not path.is_file():
            raise PluginError(
                f"{key} ({ref.text}): cannot be imported: no file {ref.path} "
                f"(relative to the working directory {base})"
            )
        return path
    try:
        spec = importlib.util.find_spec(ref.module)
    except (ImportError, ValueError) as err:
        raise PluginError(f"{key} ({ref.text}): cannot be imported: {err}") from None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise PluginError(f"{key} ({ref.text}): cannot be imported: no module named {ref.module!r}")
    return Path(spec.origin)


def digest(ref: Reference, base: Path, key: str) -> str:
    """sha256 of the plugin's source file: a rule param, so that an edit reruns its jobs."""
    return hashlib.sha256(source_file(ref, base, key).read_bytes()).hexdigest()[:16]


def check_reference(
    text: str,
    base: Path,
    key: str,
    parameters: Sequence[str],
    optional: Sequence[str] = (),
) -> Reference:
    """Check, without importing, that ``text`` names a function taking ``parameters``.

    The function must accept each of ``parameters`` by name; any further parameter must have a
    default or be one of ``optional`` (values the config passes, such as a method's options).
    A function the module builds at run time (an assignment, an import) is checked when a job
    loads it.
    """
    ref = parse_reference(text, key)
    path = source_file(ref, base, key)
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as err:
        raise PluginError(
            f"{key} ({ref.text}): cannot be imported: syntax error in {path.name} line "
            f"{err.lineno}: {err.msg}"
        ) from None
    found = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == ref.function
    ]
    if not found:
        if _bound_at_top_level(tree, ref.function):
            return ref
        raise PluginError(f"{key} ({ref.text}): {path.name} defines no function {ref.function!r}")
    problem = _signature_problem(found[-1].args, parameters, optional)
    if problem:
        raise PluginError(
            f"{key} ({ref.text}): function {ref.function} has the wrong signature: {problem}; "
            f"expected {ref.function}({', '.join(parameters)})"
        )
    return ref


def _bound_at_top_level(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name.split(".")[0]) == name for alias in node.names
        ):
            return True
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def _signature_problem(
    args: ast.arguments, parameters: Sequence[str], optional: Sequence[str]
) -> str | None:
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    keyword_only = [a.arg for a in args.kwonlyargs]
    accepted = set(positional) | set(keyword_only)
    missing = [p for p in parameters if p not in accepted and args.kwarg is None]
    if missing:
        return f"it takes no parameter {', '.join(repr(m) for m in missing)}"
    positional_only = {a.arg for a in args.posonlyargs}
    if bad := [p for p in parameters if p in positional_only]:
        return f"{', '.join(repr(b) for b in bad)} cannot be passed by name"
    defaults = len(args.defaults)
    required = positional[: len(positional) - defaults] if defaults else positional
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    extra = [p for p in required if p not in parameters and p not in optional]
    if extra:
        return f"it requires {', '.join(repr(e) for e in extra)}, which nothing passes"
    return None


_LOADED: dict[tuple[str, str], Callable] = {}


def load(text: str, base: str | Path = ".", key: str = "plugin") -> Callable[..., Any]:
    """Import the plugin's module and return its function (in a job; imports may be heavy)."""
    base = Path(base)
    cache_key = (str(base.resolve()), text)
    if cache_key in _LOADED:
        return _LOADED[cache_key]
    ref = parse_reference(text, key)
    try:
        if ref.is_file:
            path = source_file(ref, base, key).resolve()
            name = "pai_plugin_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise PluginError(f"{key} ({ref.text}): cannot be imported from {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses and pickling look modules up by name
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(ref.module)
    except PluginError:
        raise
    except Exception as err:  # whatever the plugin's own import raises
        raise PluginError(
            f"{key} ({ref.text}): cannot be imported: {type(err).__name__}: {err}"
        ) from err
    function = getattr(module, ref.function, None)
    if not callable(function):
        raise PluginError(f"{key} ({ref.text}): the module has no function {ref.function!r}")
    _LOADED[cache_key] = function
    return function

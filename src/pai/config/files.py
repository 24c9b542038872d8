"""Config files as the pipeline reads them: merged as Snakemake merges them (dicts merge, lists are
replaced), checked against the JSON schema (every violation at once, each with its key), and the
error that lists them. Torch-free."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The config cannot be run; the message lists every problem found, each with its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problems" if len(problems) > 1 else "a problem"
        super().__init__(f"the config has {count}:\n" + "\n".join(f"- {p}" for p in problems))


def load_schema() -> dict:
    import yaml

    text = resources.files("pai.config").joinpath("config.schema.yaml").read_text()
    return yaml.safe_load(text)


def _key(path) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key.lstrip(".") or "(top level)"


def schema_problems(config: Mapping) -> list[str]:
    """Every schema violation, each as 'config key KEY: MESSAGE', in key order."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.path])
    problems = []
    for error in errors:
        # a oneOf failure explains itself badly; say what the alternatives are
        message = error.message
        if error.validator == "oneOf" and "datasets" in error.path:
            message = "give either folder (an ImageFolder tree) or loader, shape and classes"
        elif error.validator == "oneOf" and "methods" in error.path:
            message = "give either function (a score function) or files (masks found elsewhere)"
        problems.append(f"config key {_key(error.absolute_path)}: {message}")
    return problems


def merge(base: Mapping, override: Mapping) -> dict:
    """Snakemake's rule for --configfile: dicts merge key by key, anything else is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def folder_content(folder: Path) -> dict[str, Any]:
    """What identifies a folder dataset's contents cheaply: how many files, how many bytes, and
    a digest of every file's path and size (a file added, removed, renamed or resized changes
    it; copying the tree does not). One listing of the tree at planning time, about a second per
    100,000 files; an edit that keeps a file's size is not seen."""
    digest, files, size = hashlib.sha256(), 0, 0
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        if path.is_file():
            length = path.stat().st_size
            digest.update(f"{path.relative_to(folder).as_posix()}\t{length}\n".encode())
            files, size = files + 1, size + length
    return {"files": files, "bytes": size, "sha256": digest.hexdigest()}


def read_configs(paths: list[str | Path]) -> dict:
    """Config files merged in order, as ``snakemake --configfile A B`` merges them."""
    import yaml

    config: dict = {}
    for path in paths:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        config = merge(config, loaded)
    return config

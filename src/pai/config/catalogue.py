"""The catalogues a config names from: the registry's methods, architectures, datasets and nets,
with the config's plugins joined to them, and each net entry resolved (its architecture's
defaults under its own keys, the grid's lists under its own). Torch-free."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pai.config import grid, plugins, registry
from pai.config.registry import Architecture, Dataset, Method


@dataclass(frozen=True)
class Net:
    """One entry of the nets catalogue, resolved."""

    name: str
    arch: str
    dataset: str
    training: dict[str, Any]  # TrainConfig's values (optional keys only when set)
    rewind_iteration: int
    methods: list[str]
    ablations: list[str]
    sparsities: list[str]  # canonical labels, increasing
    seeds: list[int]
    # MtM's confirmatory tests cover these (declared; default: sparsities up to
    # registry.CONFIRMATORY_UP_TO, 0 left out); canonical labels
    confirmatory_sparsities: list[str]


class Catalogue:
    """The names a config can use. ``config``: a config of the schema's shape; ``base``: the
    working directory plugin paths are relative to."""

    config: Mapping
    base: Path
    _net_entries: dict[str, Net]

    @cached_property
    def methods(self) -> dict[str, Method]:
        """Every method the study knows: the registry's, then the plugins'."""
        known = dict(registry.METHODS)
        for name, spec in self.config.get("plugins", {}).get("methods", {}).items():
            if name in registry.METHODS:
                continue  # reported as a clash
            if "files" in spec:
                known[name] = Method(
                    name=name,
                    function="",
                    summary=spec.get("summary", f"masks from files ({spec['files']['mask']})"),
                    keep=spec.get("keep", "highest"),
                    schedule="files",
                    group=spec.get("group", "plugin"),
                    family=spec.get("family", "init"),
                    files=dict(spec["files"]),
                )
                continue
            schedule = spec.get("schedule", "one_shot")
            allocation = schedule == "allocation"
            known[name] = Method(
                name=name,
                function=spec["function"],
                summary=spec.get("summary", f"plugin ({spec['function']})"),
                keep=spec.get("keep", "highest"),
                data=bool(spec.get("data", False)),
                schedule=schedule,
                rounds=spec.get("rounds", 100 if schedule == "iterative" else None),
                group=spec.get("group", "allocation" if allocation else "plugin"),
                # a plugin scores the init: tested as a method at initialization unless it says;
                # an allocation rule is a reference, as the built-in ones
                family=spec.get("family", "allocation" if allocation else "init"),
            )
        return known

    @cached_property
    def architectures(self) -> dict[str, Architecture]:
        known = dict(registry.ARCHITECTURES)
        for name, spec in self.config.get("plugins", {}).get("architectures", {}).items():
            if name in registry.ARCHITECTURES:
                continue
            known[name] = Architecture(
                name=name,
                builder=spec["builder"],
                summary=spec.get("summary", f"plugin ({spec['builder']})"),
                defaults={**registry.PLUGIN_TRAINING_FALLBACK, **spec.get("training", {})},
                initialiser=spec.get("initialiser"),
                prunable=spec.get("prunable"),
            )
        return known

    @cached_property
    def datasets(self) -> dict[str, Dataset]:
        known = dict(registry.DATASETS)
        for name, spec in self.plugin_datasets.items():
            if name in registry.DATASETS:
                continue
            if "folder" in spec:
                known[name] = Dataset(
                    name,
                    "folder",
                    spec.get("summary", f"plugin folder {spec['folder']}"),
                    classes=self._folder_classes(name, spec),
                    image_size=spec.get("image_size", 32),
                )
            else:
                known[name] = Dataset(
                    name,
                    "loader",
                    spec.get("summary", f"plugin loader {spec['loader']}"),
                    shape=tuple(spec["shape"]),
                    classes=spec["classes"],
                )
        return known

    @property
    def plugin_datasets(self) -> dict[str, dict]:
        return dict(self.config.get("plugins", {}).get("datasets", {}))

    def _folder_classes(self, name: str, spec: Mapping) -> int | None:
        train = self.base / spec["folder"] / "train"
        if not train.is_dir():
            return None
        return sum(1 for entry in train.iterdir() if entry.is_dir())

    def plugin_digest(self, reference: str, key: str) -> str:
        return plugins.digest(plugins.parse_reference(reference, key), self.base, key)

    def net_entry(self, name: str) -> Net:
        """The entry ``name`` of the nets catalogue (in the grid or not) with its settings
        resolved: its architecture's defaults under its own values, the grid's lists under its
        own."""
        if name not in self._net_entries:
            self._net_entries[name] = self._resolve_net(name)
        return self._net_entries[name]

    def _resolve_net(self, name: str) -> Net:
        spec = self.config["nets"][name]
        arch = self.architectures[spec["arch"]]
        settings = {**arch.defaults, **spec}
        training = {key: settings[key] for key in registry.TRAINING_KEYS}
        # optional keys only when set: a new key in every job's params would retrain everything
        training.update(
            {key: settings[key] for key in registry.OPTIONAL_TRAINING_KEYS if key in settings}
        )
        grid_spec = self.config["grid"]
        sparsities = grid.sparsity_labels(spec.get("sparsities", grid_spec["sparsities"]))
        declared = spec.get("confirmatory_sparsities")
        if declared is None:
            declared = [s for s in sparsities if 0 < float(s) <= registry.CONFIRMATORY_UP_TO + 1e-9]
        return Net(
            name=name,
            arch=spec["arch"],
            dataset=spec["dataset"],
            training=training,
            rewind_iteration=int(settings.get("rewind_iteration", 0)),
            methods=list(dict.fromkeys(spec.get("methods", grid_spec["methods"]))),
            ablations=list(dict.fromkeys(grid_spec["ablations"])),
            sparsities=sparsities,
            seeds=list(dict.fromkeys(int(s) for s in spec.get("seeds", grid_spec["seeds"]))),
            confirmatory_sparsities=grid.sparsity_labels(declared),
        )

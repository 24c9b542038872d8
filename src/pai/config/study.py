"""A config, checked and resolved: the study the pipeline (and ``python -m pai run``) carries out.

:class:`Study` reads a config dict (config.yaml with any presets merged in), reports *every*
problem at once (the JSON schema's, unknown names with the known ones listed, plugins that cannot
be used, settings that contradict each other) and then answers what the rules and the command
line ask: which nets, methods, sparsities and seeds the grid holds, each net's training settings
(the architecture's defaults under the entry's own keys), and the settings each kind of job gets
as params. Torch-free: the Snakefile builds one while planning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from pai.config import grid, mask_files, registry
from pai.config.catalogue import Net
from pai.config.checks import Checks
from pai.config.files import ConfigError, folder_content, schema_problems

# TrainConfig's switches of the engine (pai.training.engine), set in the config's training: section
ENGINE_KEYS = ("bf16", "channels_last", "capture")


class Study(Checks):
    """A checked config: its catalogues (:class:`pai.config.catalogue.Catalogue`), its problems
    (:class:`pai.config.checks.Checks`, all raised at once as a ConfigError), its grid and every
    job's params. ``base`` is the working directory plugin paths are relative to."""

    def __init__(self, config: Mapping, base: str | Path = "."):
        self.config = config
        self.base = Path(base)
        self._net_entries: dict[str, Net] = {}
        problems = schema_problems(config)
        if problems:
            # names and cross-references are only checked on a config of the right shape; the
            # schema's list already names every key at fault
            raise ConfigError(problems)
        problems = self._plugin_problems() + self._name_problems()
        if not problems:
            problems = self._setting_problems()
        if problems:
            raise ConfigError(problems)

    # ----------------------------------------------------------------------- grid

    @property
    def grid_net_names(self) -> list[str]:
        """The names of the nets the grid runs (``grid.nets``)."""
        return list(self.config["grid"]["nets"])

    def grid_nets(self) -> list[Net]:
        """The entries of the nets the grid runs, in the grid's order."""
        return [self.net_entry(name) for name in self.grid_net_names]

    def cells(self) -> Iterator[dict[str, str]]:
        """Every (net, method, sparsity, seed) of the grid; each cell holds one run per ablation."""
        for net in self.grid_nets():
            for method in net.methods:
                for sparsity in net.sparsities:
                    for seed in net.seeds:
                        yield {
                            "net": net.name,
                            "method": method,
                            "sparsity": sparsity,
                            "seed": str(seed),
                        }

    def groups(self) -> Iterator[dict[str, str]]:
        """Every (net, sparsity, seed): the runs of all methods the analyses compare."""
        for net in self.grid_nets():
            for sparsity in net.sparsities:
                for seed in net.seeds:
                    yield {"net": net.name, "sparsity": sparsity, "seed": str(seed)}

    @property
    def grid_methods(self) -> list[str]:
        """Every method some net of the grid runs, in the figures' order."""
        names = [m for net in self.grid_nets() for m in net.methods]
        return registry.ordered_methods(names, self.methods)

    @property
    def ablations(self) -> list[str]:
        return list(dict.fromkeys(self.config["grid"]["ablations"]))

    @property
    def allocation_ablations(self) -> list[str]:
        """The ablations the data-free allocations train: grid.allocation_ablations, by default
        unmodified alone (their shuffle is another random draw, their invert undefined)."""
        asked = self.config["grid"].get("allocation_ablations")
        return list(dict.fromkeys(asked if asked is not None else registry.ALLOCATION_ABLATIONS))

    def method_ablations(self, method: str) -> list[str]:
        """The ablation runs each cell of ``method`` holds."""
        if self.methods[method].schedule == "allocation":
            return self.allocation_ablations
        return self.ablations

    def analysis_sparsity(self, net: str) -> str:
        """Where Table 1 and the per-layer figures look for ``net``: analysis.table1_sparsity, or
        the nearest sparsity of the net's grid when the grid lacks it."""
        return grid.nearest(
            self.net_entry(net).sparsities, self.config["analysis"]["table1_sparsity"]
        )

    def confirmatory_sparsities(self) -> dict[str, list[float]]:
        """Per grid net, the sparsities MtM's confirmatory tests cover (declared)."""
        return {
            net.name: [float(s) for s in net.confirmatory_sparsities] for net in self.grid_nets()
        }

    def analysis_sparsities(self) -> dict[str, float]:
        return {net: float(self.analysis_sparsity(net)) for net in self.grid_net_names}

    # ---------------------------------------------------------------- job settings

    def method_settings(
        self, name: str, net: str | None = None, cells: list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """What a scoring or mask job needs of a method (its rule params): its name and version,
        the end of the ranking it keeps, its schedule and options; a plugin's also its function's
        reference and the digest of its source, so that editing it reruns its jobs and nothing
        else. No import path: moving a built-in's code reruns nothing.

        A method defined by files gets, for ``net`` and each (sparsity, seed) of ``cells`` (a
        mask job: its cell; a check: every cell of the net), the paths and sha256 digests of the
        files: replacing one reruns exactly the jobs that read it."""
        method = self.methods[name]
        if method.schedule == "files":
            return self._file_method_settings(method, net, cells or [])
        scoring = {**registry.SCORING_DEFAULTS, **self.config["scoring"]}
        options = {arg: scoring[key] for arg, key in method.settings.items()}
        rounds = method.rounds
        if method.rounds_setting:
            rounds = scoring[method.rounds_setting]
        settings = method.job_settings(rounds, options)
        if name not in registry.METHODS:
            spec = self.config["plugins"]["methods"][name]
            settings["options"] = dict(spec.get("options", {}))
            settings["function"] = spec["function"]
            settings["digest"] = self.plugin_digest(spec["function"], f"plugins.methods.{name}")
        if method.data:
            settings["examples_per_class"] = scoring["examples_per_class"]
        return settings

    def _file_method_settings(
        self, method: registry.Method, net: str | None, cells: list[tuple[str, str]]
    ) -> dict[str, Any]:
        files = dict(method.files or {})
        settings = method.job_settings(None, {})
        settings["names"] = dict(files.get("names", {}))
        settings["files"] = [
            {
                "sparsity": sparsity,
                "seed": int(seed),
                **{
                    kind: {"path": path, "sha256": mask_files.digest(self.base / path)}
                    for kind, path in mask_files.cell_paths(files, net, sparsity, seed).items()
                },
            }
            for sparsity, seed in cells
        ]
        return settings

    def arch_settings(self, name: str) -> dict[str, Any]:
        """What a job that builds a net needs of its architecture."""
        if name in registry.ARCHITECTURES:
            return {"name": name}
        arch = self.architectures[name]
        key = f"plugins.architectures.{name}"
        settings: dict[str, Any] = {"name": name, "builder": arch.builder}
        for field in ("initialiser", "prunable"):
            if getattr(arch, field):
                settings[field] = getattr(arch, field)
        settings["digest"] = {
            field: self.plugin_digest(settings[field], f"{key}.{field}")
            for field in ("builder", "initialiser", "prunable")
            if field in settings
        }
        return settings

    def dataset_shape(self, name: str) -> dict[str, Any]:
        """What a job that only builds the net needs of a dataset: its input shape and classes.
        Nothing else, so that a new mirror or more synthetic examples rerun no such job."""
        dataset = self.datasets[name]
        if dataset.kind == "synthetic":
            synthetic = self.config["data"]["synthetic"]
            return {
                "name": name,
                "shape": list(synthetic["shape"]),
                "classes": synthetic["classes"],
            }
        if dataset.kind == "folder":
            size = self.config["data"].get("image_sizes", {}).get(name)
            if name in self.plugin_datasets:
                size = self.plugin_datasets[name].get("image_size", dataset.image_size)
            size = size or dataset.image_size
            return {"name": name, "shape": [3, size, size], "classes": dataset.classes}
        return {"name": name, "shape": list(dataset.shape), "classes": dataset.classes}

    def dataset_identity(self, name: str) -> dict[str, Any]:
        """What decides a dataset's tensors (params of the jobs that read them): its shape and
        whatever changes its contents, never where it is fetched from."""
        identity = self.dataset_shape(name)
        dataset = self.datasets[name]
        if dataset.kind == "synthetic":
            identity["synthetic"] = dict(self.config["data"]["synthetic"])
        if dataset.kind == "folder" and self.dataset_folder(name):
            if name not in self._folder_contents:
                self._folder_contents[name] = folder_content(self.base / self.dataset_folder(name))
            identity["content"] = self._folder_contents[name]
        if name in self.plugin_datasets:
            spec = self.plugin_datasets[name]
            identity["augment"] = bool(spec.get("augment", False))
            if dataset.kind == "loader":
                identity["options"] = dict(spec.get("options", {}))
                identity["digest"] = self.plugin_digest(
                    spec["loader"], f"plugins.datasets.{name}.loader"
                )
        return identity

    @cached_property
    def _folder_contents(self) -> dict[str, dict]:
        """Each folder dataset's content identity, listed once per planning."""
        return {}

    def dataset_folder(self, name: str) -> str | None:
        """Where a folder dataset's images are (a plugin's ``folder``, or ``data.folders``)."""
        if name in self.plugin_datasets:
            return self.plugin_datasets[name]["folder"]
        return self.config["data"].get("folders", {}).get(name)

    def dataset_download(self, name: str) -> dict[str, Any]:
        """download_data's params: the identity plus where the files come from."""
        settings = {
            **self.dataset_identity(name),
            "kind": self.datasets[name].kind,
            "root": str(Path(self.config["data"]["root"]) / name),
        }
        dataset = self.datasets[name]
        if dataset.kind == "download":
            settings["mirror"] = self.config["data"].get("mirrors", {}).get(name)
        if dataset.kind == "folder":
            settings["folder"] = self.dataset_folder(name)
        if dataset.kind == "loader":
            settings["loader"] = self.plugin_datasets[name]["loader"]
        return settings

    def training_settings(self, net: str) -> dict[str, Any]:
        return dict(self.net_entry(net).training)

    def engine_settings(self) -> dict[str, bool]:
        """How the training engine runs (the config's training: switches, off if unset)."""
        training = self.config["training"]
        return {key: bool(training.get(key, False)) for key in ENGINE_KEYS}

    @property
    def pack(self) -> bool:
        return bool(self.config["training"].get("pack", False))

    def describe(self) -> str:
        """A one-line summary of the grid (for logs and the command line)."""
        cells = list(self.cells())
        runs = sum(len(self.method_ablations(cell["method"])) for cell in cells)
        cells = len(cells)
        return f"{len(self.grid_net_names)} nets, {cells} cells, {runs} runs"

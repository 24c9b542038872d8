"""A config, checked and resolved: the study the pipeline (and ``python -m pai run``) carries out.

:class:`Study` reads a config dict (config.yaml with any presets merged in), reports *every*
problem at once (the JSON schema's, unknown names with the known ones listed, plugins that cannot
be used, settings that contradict each other) and then answers what the rules and the command
line ask: which nets, methods, sparsities and seeds the grid holds, each net's training settings
(the architecture's defaults under the entry's own keys), and the settings each kind of job gets
as params. Torch-free: the Snakefile builds one while planning.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pai.config import grid, plugins, registry
from pai.config.registry import Architecture, Dataset, Method

# TrainConfig's switches of the engine (pai.training.engine), set in the config's training: section
ENGINE_KEYS = ("bf16", "channels_last", "capture")


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
        if error.validator == "oneOf" and "plugins" in error.path:
            message = "give either folder (an ImageFolder tree) or loader, shape and classes"
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


def _names(values) -> str:
    return ", ".join(values)


class Study:
    """A checked config. ``base`` is the working directory plugin paths are relative to."""

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

    # ------------------------------------------------------------------------- plugins

    @cached_property
    def methods(self) -> dict[str, Method]:
        """Every method the study knows: the registry's, then the plugins'."""
        known = dict(registry.METHODS)
        for name, spec in self.config.get("plugins", {}).get("methods", {}).items():
            if name in registry.METHODS:
                continue  # reported as a clash
            schedule = spec.get("schedule", "one_shot")
            known[name] = Method(
                name=name,
                function=spec["function"],
                summary=spec.get("summary", f"plugin ({spec['function']})"),
                keep=spec.get("keep", "highest"),
                data=bool(spec.get("data", False)),
                schedule=schedule,
                rounds=spec.get("rounds", 100 if schedule == "iterative" else None),
                group=spec.get("group", "plugin"),
                # a plugin scores the init: tested as a method at initialization unless it says
                family=spec.get("family", "init"),
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

    def _plugin_problems(self) -> list[str]:
        problems = []
        found = self.config.get("plugins", {})
        built_in = {
            "methods": registry.METHODS,
            "architectures": registry.ARCHITECTURES,
            "datasets": registry.DATASETS,
        }
        for kind, entries in found.items():
            for name, spec in entries.items():
                key = f"plugins.{kind}.{name}"
                if name in built_in[kind]:
                    problems.append(
                        f"config key {key}: the name {name!r} is taken by a built-in "
                        f"{kind[:-1]}; give the plugin another name"
                    )
                    continue
                problems += self._reference_problems(kind, key, spec)
        return problems

    def _reference_problems(self, kind: str, key: str, spec: Mapping) -> list[str]:
        checks = []
        if kind == "methods":
            checks.append(("function", ("net", "data", "seed"), tuple(spec.get("options", {}))))
        elif kind == "architectures":
            checks.append(("builder", ("input_shape", "num_classes"), ()))
            checks.append(("initialiser", ("model", "generator"), ()))
            checks.append(("prunable", ("model",), ()))
        elif kind == "datasets":
            checks.append(("loader", (), tuple(spec.get("options", {}))))
            if "folder" in spec:
                train, val = (self.base / spec["folder"] / split for split in ("train", "val"))
                if not train.is_dir() or not val.is_dir():
                    return [
                        f"config key {key}.folder: {spec['folder']} needs train/<class>/ and "
                        f"val/<class>/ folders of images (relative to {self.base})"
                    ]
                if (self._folder_classes(key, spec) or 0) < 2:
                    return [f"config key {key}.folder: {train} has fewer than two class folders"]
        problems = []
        for field, parameters, optional in checks:
            if field not in spec:
                continue
            try:
                plugins.check_reference(
                    spec[field], self.base, f"{key}.{field}", parameters, optional
                )
            except plugins.PluginError as err:
                problems.append(f"config key {err}")
        return problems

    def plugin_digest(self, reference: str, key: str) -> str:
        return plugins.digest(plugins.parse_reference(reference, key), self.base, key)

    # ----------------------------------------------------------------------- names

    def _unknown(self, key: str, kind: str, name: str, known: Mapping) -> str:
        listed = [f"{n} (plugin)" if n in self._plugin_names(kind) else n for n in known]
        return f"config key {key}: unknown {kind} {name!r}; known: {_names(listed)}"

    def _plugin_names(self, kind: str) -> set[str]:
        section = {"method": "methods", "architecture": "architectures", "dataset": "datasets"}
        return set(self.config.get("plugins", {}).get(section.get(kind, ""), {}))

    def _name_problems(self) -> list[str]:
        config, problems = self.config, []
        catalogue = config["nets"]
        for index, net in enumerate(config["grid"]["nets"]):
            if net not in catalogue:
                problems.append(
                    f"config key grid.nets[{index}]: {net!r} is not in the nets catalogue "
                    f"(known: {_names(sorted(catalogue))})"
                )
        for name, spec in catalogue.items():
            if spec["arch"] not in self.architectures:
                problems.append(
                    self._unknown(
                        f"nets.{name}.arch", "architecture", spec["arch"], self.architectures
                    )
                )
            if spec["dataset"] not in self.datasets:
                problems.append(
                    self._unknown(f"nets.{name}.dataset", "dataset", spec["dataset"], self.datasets)
                )
            for index, method in enumerate(spec.get("methods", [])):
                if method not in self.methods:
                    problems.append(
                        self._unknown(
                            f"nets.{name}.methods[{index}]", "method", method, self.methods
                        )
                    )
        for index, method in enumerate(config["grid"]["methods"]):
            if method not in self.methods:
                problems.append(
                    self._unknown(f"grid.methods[{index}]", "method", method, self.methods)
                )
        for index, ablation in enumerate(config["grid"]["ablations"]):
            if ablation not in registry.ABLATIONS:
                problems.append(
                    self._unknown(
                        f"grid.ablations[{index}]", "ablation", ablation, registry.ABLATIONS
                    )
                )
        for section in ("mirrors", "folders", "image_sizes"):
            kind = "download" if section == "mirrors" else "folder"
            allowed = [d.name for d in registry.DATASETS.values() if d.kind == kind]
            for name in config["data"].get(section, {}):
                if name not in allowed:
                    problems.append(
                        f"config key data.{section}.{name}: not a {kind} dataset "
                        f"(those are: {_names(allowed)})"
                    )
        return problems

    # -------------------------------------------------------------------- settings

    def _setting_problems(self) -> list[str]:
        problems = []
        for name in self.grid_net_names:
            net = self.net_entry(name)
            dataset = self.datasets[net.dataset]
            if dataset.kind == "synthetic" and "synthetic" not in self.config["data"]:
                problems.append(
                    f"config key nets.{name}.dataset: synthetic data needs data.synthetic"
                )
            if (
                dataset.kind == "folder"
                and dataset.name in registry.DATASETS
                and not self.config["data"].get("folders", {}).get(dataset.name)
            ):
                problems.append(
                    f"config key nets.{name}.dataset: {dataset.name} cannot be downloaded: set "
                    f"data.folders.{dataset.name} to the folder holding its train/ and val/"
                )
            problems += self._similarity_problems(name, net)
            for milestone in net.training["milestones"]:
                if milestone > net.training["epochs"]:
                    problems.append(
                        f"config key nets.{name}.milestones: {milestone} lies beyond its "
                        f"{net.training['epochs']} epochs"
                    )
        return problems

    def _similarity_problems(self, name: str, net: Net) -> list[str]:
        """CCA needs more test examples than the widest compared layer has features. Checked here
        where both are known without torch (built-in nets and datasets); the similarity jobs
        check every net again."""
        widest = self.architectures[net.arch].widest
        test_size = self.datasets[net.dataset].test_size
        if self.datasets[net.dataset].kind == "synthetic":
            test_size = self.config["data"].get("synthetic", {}).get("n_test")
        if widest is None or test_size is None:
            return []
        examples = min(self.config["analysis"]["similarity_examples"], test_size)
        if examples > widest:
            return []
        return [
            f"config key analysis.similarity_examples: nets.{name} compares {examples} test "
            f"examples of {net.dataset} against {net.arch} layers of up to {widest} features; "
            f"CCA needs more examples than features (more than {widest})"
        ]

    # ----------------------------------------------------------------------- grid

    @property
    def grid_net_names(self) -> list[str]:
        """The names of the nets the grid runs (``grid.nets``)."""
        return list(self.config["grid"]["nets"])

    def net_entry(self, name: str) -> Net:
        """The entry ``name`` of the nets catalogue (in the grid or not) with its settings
        resolved: its architecture's defaults under its own values, the grid's lists under its
        own."""
        if name not in self._net_entries:
            self._net_entries[name] = self._resolve_net(name)
        return self._net_entries[name]

    def grid_nets(self) -> list[Net]:
        """The entries of the nets the grid runs, in the grid's order."""
        return [self.net_entry(name) for name in self.grid_net_names]

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
        return Net(
            name=name,
            arch=spec["arch"],
            dataset=spec["dataset"],
            training=training,
            rewind_iteration=int(settings.get("rewind_iteration", 0)),
            methods=list(dict.fromkeys(spec.get("methods", grid_spec["methods"]))),
            ablations=list(dict.fromkeys(grid_spec["ablations"])),
            sparsities=grid.sparsity_labels(spec.get("sparsities", grid_spec["sparsities"])),
            seeds=list(dict.fromkeys(int(s) for s in spec.get("seeds", grid_spec["seeds"]))),
        )

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

    def analysis_sparsity(self, net: str) -> str:
        """Where Table 1 and the per-layer figures look for ``net``: analysis.table1_sparsity, or
        the nearest sparsity of the net's grid when the grid lacks it."""
        return grid.nearest(
            self.net_entry(net).sparsities, self.config["analysis"]["table1_sparsity"]
        )

    def analysis_sparsities(self) -> dict[str, float]:
        return {net: float(self.analysis_sparsity(net)) for net in self.grid_net_names}

    # ---------------------------------------------------------------- job settings

    def method_settings(self, name: str) -> dict[str, Any]:
        """What a scoring or mask job needs of a method (its rule params): its name and version,
        the end of the ranking it keeps, its schedule and options; a plugin's also its function's
        reference and the digest of its source, so that editing it reruns its jobs and nothing
        else. No import path: moving a built-in's code reruns nothing."""
        method = self.methods[name]
        scoring = self.config["scoring"]
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
        cells = sum(1 for _ in self.cells())
        runs = cells * len(self.ablations)
        return f"{len(self.grid_net_names)} nets, {cells} cells, {runs} runs"

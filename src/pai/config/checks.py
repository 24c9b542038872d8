"""What makes a config unusable, beyond its schema: plugins that cannot be loaded, unknown names
(each with the known ones listed), and settings that contradict each other. Every problem is
reported at once, each with its config key. Torch-free."""

from __future__ import annotations

from collections.abc import Mapping

from pai import allocation
from pai.config import mask_files, plugins, registry
from pai.config.catalogue import Catalogue, Net


def _names(values) -> str:
    return ", ".join(values)


class Checks(Catalogue):
    """The config's problems (``problems()``: every one, as lines naming their keys)."""

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
        if kind == "methods" and "files" in spec:
            return self._files_spec_problems(key, spec)
        if kind == "methods" and spec.get("schedule") == "allocation":
            checks.append(("function", ("layers", "density"), ()))
        elif kind == "methods":
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

    def _files_spec_problems(self, key: str, spec: Mapping) -> list[str]:
        """A method defined by files: no key of a score function, and patterns that name only
        {net}, {sparsity} and {seed}."""
        problems = [
            f"config key {key}.{field}: a method defined by files takes no {field} (its masks "
            "are read, not computed)"
            for field in ("data", "schedule", "rounds", "options")
            if field in spec
        ]
        for kind in [k for k in mask_files.KINDS if k in spec["files"]]:
            pattern = spec["files"][kind]
            unknown = sorted(mask_files.placeholders(pattern) - set(mask_files.PLACEHOLDERS))
            if unknown:
                problems.append(
                    f"config key {key}.files.{kind}: unknown placeholder "
                    f"{', '.join('{' + u + '}' for u in unknown)} in {pattern!r}; a pattern may "
                    "name {net}, {sparsity} and {seed}"
                )
        return problems

    def _file_method_problems(self, name: str, net: Net) -> list[str]:
        """Every file a grid net's cells of a file method read must exist, and invert needs
        the scores."""
        problems = []
        for method in net.methods:
            files = self.methods[method].files
            if files is None:
                continue
            key = f"plugins.methods.{method}.files"
            if "invert" in self.config["grid"]["ablations"] and "scores" not in files:
                problems.append(
                    f"config key {key}: grid.ablations has invert, which needs the method's "
                    f"scores: give {key}.scores, or leave invert out of grid.ablations"
                )
            missing = sorted(
                {
                    path
                    for sparsity in net.sparsities
                    for seed in net.seeds
                    for path in mask_files.cell_paths(files, name, sparsity, seed).values()
                    if not (self.base / path).is_file()
                }
            )
            if missing:
                shown = ", ".join(missing[:5]) + (
                    f" and {len(missing) - 5} more" if missing[5:] else ""
                )
                problems.append(
                    f"config key {key}: nets.{name} runs {method}, and {len(missing)} of its "
                    f"files are missing (relative to {self.base}): {shown}"
                )
        return problems

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
        asked = self.config["grid"].get("allocation_ablations")
        for index, ablation in enumerate(asked or []):
            key = f"grid.allocation_ablations[{index}]"
            if ablation not in registry.ABLATIONS:
                problems.append(self._unknown(key, "ablation", ablation, registry.ABLATIONS))
            elif ablation == "invert":
                problems.append(
                    f"config key {key}: an allocation has no ranking, so no inversion; leave "
                    "invert out of grid.allocation_ablations"
                )
            elif ablation not in config["grid"]["ablations"]:
                problems.append(
                    f"config key {key}: {ablation} is not among grid.ablations "
                    f"({_names(config['grid']['ablations'])})"
                )
        if asked is not None and "unmodified" not in asked:
            problems.append(
                "config key grid.allocation_ablations: it needs unmodified (every comparison "
                "with an allocation is with its unmodified runs)"
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
            problems += self._file_method_problems(name, net)
            problems += self._allocation_problems(name, net)
            undeclared = [s for s in net.confirmatory_sparsities if s not in net.sparsities]
            if undeclared:
                problems.append(
                    f"config key nets.{name}.confirmatory_sparsities: {', '.join(undeclared)} "
                    f"not among the net's sparsities ({', '.join(net.sparsities)})"
                )
            for milestone in net.training["milestones"]:
                if milestone > net.training["epochs"]:
                    problems.append(
                        f"config key nets.{name}.milestones: {milestone} lies beyond its "
                        f"{net.training['epochs']} epochs"
                    )
        return problems

    def _allocation_problems(self, name: str, net: Net) -> list[str]:
        """Every built-in allocation a built-in net runs must reach each of its sparsities (its
        counts are computed here from the layers' shapes, without torch). A plugin's rule or
        net is not imported while planning: its mask jobs check it, before it trains."""
        rules = [
            m
            for m in net.methods
            if m in registry.METHODS and registry.METHODS[m].schedule == "allocation"
        ]
        shapes_of = self.architectures[net.arch].shapes
        if not rules or shapes_of is None:
            return []
        if (
            self.datasets[net.dataset].kind == "synthetic"
            and "synthetic" not in self.config["data"]
        ):
            return []  # reported as its own problem
        dataset = self.dataset_shape(net.dataset)
        if dataset["classes"] is None:
            return []
        layers = allocation.layers_of(plugins.load(shapes_of)(dataset["shape"], dataset["classes"]))
        problems = []
        for method in rules:
            rule = plugins.load(registry.METHODS[method].function)
            reasons: dict[str, list[str]] = {}
            for sparsity in net.sparsities:
                reason = allocation.problem(rule, layers, float(sparsity))
                if reason:
                    reasons.setdefault(reason, []).append(sparsity)
            problems += [
                f"config key nets.{name}: {method} cannot prune {net.arch} on {net.dataset} to "
                f"sparsity {', '.join(sparsities)}: {reason}; leave it out of the net's methods "
                "or sparsities"
                for reason, sparsities in reasons.items()
            ]
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

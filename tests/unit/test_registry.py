"""One list of names: the registry is complete, and no other file keeps a list of its own.

Every built-in method, ablation, architecture, dataset and figure is listed once, in
pai.config.registry. These tests fail when a name is added in one place and not the others: a
function
the registry names is missing, a figure has no caption, the schema or config.yaml's comments
list other names, or some rule file, script or module hard-codes a list of names.
"""

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

from pai.config import files, registry
from pai.training import engine

REPO = Path(__file__).resolve().parents[2]


def _resolve(reference):
    module, function = reference.rsplit(":", 1)
    return getattr(importlib.import_module(module), function)


def test_every_reference_resolves():
    for method in registry.METHODS.values():
        assert callable(_resolve(method.function)), method.name
        assert method.keep in registry.KEEP_ENDS and method.schedule in registry.SCHEDULES
        assert method.start in registry.STARTS and method.group in registry.METHOD_GROUPS
        assert method.step_rule in registry.STEP_RULES, method.name
        # what a round can pass, and only to a function that takes it
        parameters = inspect.signature(_resolve(method.function)).parameters
        assert set(method.round_arguments) <= {"mask", "step"} & set(parameters), method.name
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        assert takes_any or set(method.settings) <= set(parameters), method.name
    for arch in registry.ARCHITECTURES.values():
        assert callable(_resolve(arch.builder)), arch.name
        assert set(arch.defaults) >= set(registry.TRAINING_KEYS), arch.name
        assert set(arch.defaults) <= set(registry.NET_SETTINGS), arch.name
    for figure in registry.FIGURES.values():
        assert callable(_resolve(figure.function)), figure.name
        assert figure.paper in registry.PAPERS
        assert (REPO / "workflow/report" / f"{figure.name}.rst").is_file(), figure.name


def test_the_widest_compared_layer_is_the_nets():
    from pai.analysis import similarity
    from pai.models import nets

    for name, arch in registry.ARCHITECTURES.items():
        model = nets.build_net(name, (3, 32, 32), 10)
        layers = similarity.compared_layers(nets.prunable_names(model))
        assert arch.widest == similarity.widest(model, layers), name


def test_training_keys_are_train_configs():
    fields = {f.name for f in dataclasses.fields(engine.TrainConfig)}
    # what a net entry sets; the rest (evaluation batch, bf16, ...) are not per-net settings
    assert set(registry.TRAINING_KEYS) | set(registry.OPTIONAL_TRAINING_KEYS) <= fields


def test_each_method_is_tested_with_the_claims_mtm_made_for_its_family():
    expected = {name: method.claim_settings() for name, method in registry.METHODS.items()}
    at_init = {"shuffle": "no worse", "reinit": "no worse", "invert": "worse"}
    for name in ("magnitude", "snip", "graspabs", "synflow"):
        assert expected[name] == {"family": "init", "expected": at_init}
    # MtM: inverting GraSP does not hurt, so its inversion is described, not tested
    assert expected["grasp"] == {"family": "init", "expected": {**at_init, "invert": "descriptive"}}
    # the benchmarks, pruned after training: every ablation hurts
    for name in ("magnitude_trained", "lottery"):
        assert expected[name]["family"] == "after_training"
        assert set(expected[name]["expected"].values()) == {"worse"}
    assert set(expected["random"]["expected"].values()) == {"descriptive"}
    # a method that declares a family is tested with that family's claims
    declared = registry.Method("mine", "x.py:f", "", family="after_training")
    assert declared.expected("reinit") == "worse"


def test_methods_are_ordered_by_group():
    order = registry.ordered_methods(["lottery", "snip", "random", "mine", "magnitude_trained"])
    assert order == ["random", "snip", "magnitude_trained", "lottery", "mine"]


def _enums(node, found):
    if isinstance(node, dict):
        if "enum" in node:
            found.append(node["enum"])
        for value in node.values():
            _enums(value, found)
    elif isinstance(node, list):
        for value in node:
            _enums(value, found)
    return found


def test_the_schema_lists_no_names_of_its_own():
    names = (
        set(registry.METHODS) | set(registry.ARCHITECTURES) | set(registry.DATASETS)
        | set(registry.ABLATIONS) | set(registry.FIGURES)
    )  # fmt: skip
    schema = files.load_schema()
    plugin = schema["properties"]["plugins"]["properties"]["methods"]["additionalProperties"]
    allowed = {
        # the properties of plugin methods the registry defines
        tuple(plugin["properties"]["keep"]["enum"]): tuple(registry.KEEP_ENDS),
        # (lottery is the built-in benchmark's; files is what a method with files: has)
        tuple(plugin["properties"]["schedule"]["enum"]): tuple(
            s for s in registry.SCHEDULES if s not in ("lottery", "files")
        ),
        tuple(plugin["properties"]["group"]["enum"]): tuple(registry.METHOD_GROUPS),
        tuple(plugin["properties"]["family"]["enum"]): tuple(registry.FAMILIES),
    }
    for key, expected in allowed.items():
        assert key == expected
    for enum in _enums(schema, []):
        if tuple(enum) in allowed:
            continue
        assert not set(enum) & names, f"the schema lists names of its own: {enum}"


def test_config_comments_list_the_registry():
    text = (REPO / "config.yaml").read_text()
    for kind, table in (("arch", registry.ARCHITECTURES), ("dataset", registry.DATASETS)):
        line = re.search(rf"^\s+{kind}: \w+\s+# (.*)$", text, re.MULTILINE).group(1)
        assert line.split(" | ") == [*table, "a plugin's"], kind
    # the methods' comment may run on over several comment lines, up to its "(docs/...)"
    methods = re.search(r"^  # (random \| [^(]*) \(", text, re.MULTILINE).group(1)
    assert re.split(r"\s*\|\s*(?:#\s*)?", methods) == list(registry.METHODS)
    ablations = re.search(r"^  # (unmodified \| .*) \(", text, re.MULTILINE).group(1)
    assert ablations.split(" | ") == list(registry.ABLATIONS)


def test_config_documents_each_architectures_defaults():
    text = (REPO / "config.yaml").read_text()
    for name, arch in registry.ARCHITECTURES.items():
        row = re.search(rf"^#   {name}\s+(.*)$", text, re.MULTILINE)
        assert row, f"config.yaml does not document {name}'s defaults"
        cells = re.findall(r"\[[^\]]*\]|\S+", row.group(1))
        defaults = arch.defaults
        expected = [
            defaults["epochs"], defaults["batch_size"], defaults["lr"], defaults["momentum"],
            defaults["weight_decay"], defaults["milestones"], defaults["gamma"],
            defaults.get("warmup_epochs", "-"), defaults["rewind_iteration"],
        ]  # fmt: skip
        assert [yaml.safe_load(c) if c != "-" else c for c in cells] == expected, name


LISTS_ALLOWED_IN = {"src/pai/config/registry.py"}


def _source_files():
    for pattern in ("src/**/*.py", "workflow/**/*.smk", "workflow/**/*.py", "Snakefile",
                    "slurm/*.yaml", "presets/*.yaml", "benchmarks/*.py"):  # fmt: skip
        for path in REPO.glob(pattern):
            if str(path.relative_to(REPO)) not in LISTS_ALLOWED_IN:
                yield path


@pytest.mark.parametrize(
    "kind,names",
    [
        ("methods", registry.METHODS),
        ("architectures", registry.ARCHITECTURES),
        ("datasets", registry.DATASETS),
        ("ablations", registry.ABLATIONS),
        ("figures", registry.FIGURES),
    ],
)
def test_no_other_file_keeps_a_list_of_names(kind, names):
    """Brackets holding three or more names of one kind as quoted strings are a list of them,
    on one line or several; only the registry may hold one (a preset's grid lists unquoted
    names, which is what a grid is for)."""
    offenders = []
    for path in _source_files():
        text = path.read_text()
        for match in re.finditer(r"[\[\(\{]([^\[\]\(\)\{\}]*)[\]\)\}]", text):
            quoted = set(re.findall(r"[\"']([A-Za-z0-9_]+)[\"']", match.group(1)))
            if len(quoted & set(names)) >= 3:
                line = text[: match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(REPO)}:{line}: {match.group(0)[:80]}")
    assert not offenders, "\n".join(offenders)

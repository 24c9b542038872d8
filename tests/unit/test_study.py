"""The config, checked and resolved: every problem reported at once, names checked against the
registry and the plugins, defaults per architecture, the grid a config asks for."""

from pathlib import Path

import pytest
import yaml

from pai.config import registry
from pai.config.files import ConfigError, merge, read_configs
from pai.config.study import Study

REPO = Path(__file__).resolve().parents[2]


def smoke(**override) -> dict:
    config = read_configs([REPO / "config.yaml", REPO / "presets/smoke.yaml"])
    return merge(config, override)


def problems(config, base=REPO) -> str:
    with pytest.raises(ConfigError) as caught:
        Study(config, base=base)
    return str(caught.value)


def test_the_shipped_configs_are_valid():
    presets = sorted(path.stem for path in (REPO / "presets").glob("*.yaml"))
    assert {"demo", "smoke", "mtm_large", "singh_liu_lenet"} <= set(presets)
    for preset in presets:
        config = read_configs([REPO / "config.yaml", REPO / f"presets/{preset}.yaml"])
        if preset == "mtm_large":  # its folders must exist to be used; only the names matter
            config["data"]["folders"] = {"tinyimagenet": ".", "imagenet": "."}
        study = Study(config, base=REPO)  # raises ConfigError, listing every problem
        assert study.grid_net_names == config["grid"]["nets"], preset
    paper = Study(read_configs([REPO / "config.yaml"]), base=REPO)
    assert (
        "lenet300-mnist-singh" in paper.grid_net_names
        and "vgg16-cifar10-comp6258" in paper.grid_net_names
    )


def test_every_schema_problem_is_reported_at_once():
    config = smoke(grid={"sparsities": [1.5], "seeds": [-1]}, plots={"dpi": 5})
    text = problems(config)
    assert text.startswith("the config has 3 problems:")
    for key in ("grid.sparsities[0]", "grid.seeds[0]", "plots.dpi"):
        assert f"config key {key}:" in text


def test_every_name_problem_is_reported_at_once_with_the_known_names():
    config = smoke(
        nets={"newnet": {"arch": "lenet5", "dataset": "digits"}},
        grid={"nets": ["newnet", "nonet"], "methods": ["snap"], "ablations": ["flip"]},
    )
    text = problems(config)
    assert "config key grid.nets[1]: 'nonet' is not in the nets catalogue" in text
    assert "config key nets.newnet.arch: unknown architecture 'lenet5'; known: lenet300" in text
    assert (
        "config key grid.methods[0]: unknown method 'snap'; known: random, uniform, uniform_plus"
        in text
    )
    assert "config key grid.ablations[0]: unknown ablation 'flip'" in text


def test_a_new_net_entry_with_an_unknown_arch_is_told_so():
    # it used to be told that 'epochs' was missing
    text = problems(smoke(nets={"newnet": {"arch": "lenet5", "dataset": "digits"}}))
    assert "unknown architecture 'lenet5'" in text and "epochs" not in text


def test_a_net_entry_needs_only_arch_and_dataset():
    mine = {"arch": "resnet20", "dataset": "digits", "epochs": 7, "milestones": [5]}
    config = smoke(nets={"mine": mine})
    config["grid"]["nets"] = ["mine"]
    net = Study(config, base=REPO).net_entry("mine")
    expected = {k: registry.ARCHITECTURES["resnet20"].defaults[k] for k in registry.TRAINING_KEYS}
    assert net.training == {**expected, "epochs": 7, "milestones": [5]}
    assert net.rewind_iteration == 2000
    lenet = Study(config, base=REPO).net_entry("lenet300-mnist")
    assert lenet.training["epochs"] == 40 and lenet.training["milestones"] == []
    assert "warmup_epochs" not in lenet.training  # optional keys only where set
    assert Study(config, base=REPO).net_entry("resnet50-imagenet").training["warmup_epochs"] == 5


def test_a_grid_without_the_table1_sparsity_uses_the_nearest():
    config = smoke(grid={"sparsities": [0.9]})
    found = Study(config, base=REPO)
    assert found.analysis_sparsity("lenet300-digits") == "0.9"
    assert found.analysis_sparsities() == {"lenet300-digits": 0.9, "resnet20-synthetic": 0.9}


def test_cross_references():
    text = problems(smoke(nets={"lenet300-digits": {"dataset": "imagenet", "milestones": [9]}}))
    assert "nets.lenet300-digits.dataset: imagenet cannot be downloaded" in text
    assert "data.folders.imagenet" in text
    assert "nets.lenet300-digits.milestones: 9 lies beyond its 3 epochs" in text
    config = smoke()
    del config["data"]["synthetic"]
    assert "synthetic data needs data.synthetic" in problems(config)
    text = problems(smoke(data={"mirrors": {"svhn": "http://x"}}))
    assert "data.mirrors.svhn: not a download dataset (those are: mnist, cifar10)" in text


def test_too_few_similarity_examples_are_refused_naming_both_numbers():
    text = problems(smoke(analysis={"similarity_examples": 200}))
    assert "nets.lenet300-digits compares 200 test examples of digits" in text
    assert "lenet300 layers of up to 300 features" in text
    assert "resnet20-synthetic" not in text  # 128 examples > 64 features
    config = smoke(data={"synthetic": {"n_test": 64}})
    assert "resnet20-synthetic compares 64 test examples" in problems(config)


def test_grid_and_groups():
    found = Study(smoke(grid={"seeds": [0, 1]}), base=REPO)
    cells = list(found.cells())
    assert len(cells) == 2 * 7 * 1 * 2  # nets x methods x sparsities x seeds
    assert cells[0] == {
        "net": "lenet300-digits",
        "method": "random",
        "sparsity": "0.75",
        "seed": "0",
    }
    assert len(list(found.groups())) == 2 * 2
    assert found.grid_methods == [
        "random", "uniform_plus", "erk", "snip", "synflow", "magnitude_trained", "lottery",
    ]  # fmt: skip


def test_per_net_methods_and_sparsities():
    config = smoke(nets={"lenet300-digits": {"methods": ["random", "snip"], "sparsities": [0.5]}})
    found = Study(config, base=REPO)
    assert found.net_entry("lenet300-digits").methods == ["random", "snip"]
    assert found.net_entry("lenet300-digits").sparsities == ["0.5"]
    assert len(list(found.cells())) == 2 + 7


def test_job_settings_hold_only_what_decides_a_result():
    found = Study(smoke(), base=REPO)
    assert found.method_settings("grasp")["options"] == {"batch_size": 128, "temperature": 200.0}
    assert found.method_settings("magnitude")["options"] == {}
    assert "examples_per_class" not in found.method_settings("synflow")
    assert found.method_settings("synflow")["rounds"] == 10  # the smoke preset's
    assert found.arch_settings("resnet20") == {"name": "resnet20"}
    shape = {"name": "synthetic", "shape": [3, 16, 16], "classes": 10}
    assert found.dataset_shape("synthetic") == shape
    assert found.dataset_identity("synthetic")["synthetic"]["n_train"] == 256
    assert found.dataset_download("mnist")["mirror"] is None
    assert "mirror" not in found.dataset_identity("mnist")


def test_a_built_in_is_named_by_name_and_version_not_by_where_its_code_lives():
    # moving a module must not rerun the grid: no job's params hold an import path
    found = Study(smoke())
    for name in registry.METHODS:
        settings = found.method_settings(name)
        assert settings["name"] == name and settings["version"] == registry.METHODS[name].version
        assert "pai." not in repr(settings), settings
    for name in registry.ARCHITECTURES:
        assert "pai." not in repr(found.arch_settings(name)), name


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def with_plugin_method(tmp_path, source, **spec):
    function = write(tmp_path / "mine.py", source) + ":score"
    config = smoke(plugins={"methods": {"mine": {"function": function, **spec}}})
    config["grid"]["methods"] = ["random", "mine"]
    return config


GOOD = "def score(net, data, seed):\n    return {}\n"


def test_plugin_methods_join_the_registry(tmp_path):
    found = Study(with_plugin_method(tmp_path, GOOD, keep="lowest", data=True), base=tmp_path)
    assert found.methods["mine"].keep == "lowest" and found.methods["mine"].group == "plugin"
    settings = found.method_settings("mine")
    assert settings["function"].endswith("mine.py:score") and settings["examples_per_class"] == 10
    before = settings["digest"]
    write(tmp_path / "mine.py", GOOD + "# edited\n")
    assert (
        Study(with_plugin_method(tmp_path, GOOD + "# edited\n"), base=tmp_path).method_settings(
            "mine"
        )["digest"]
        != before
    )
    assert found.net_entry("lenet300-digits").methods == ["random", "mine"]
    assert found.grid_methods[-1] == "mine"  # plugins after the built-ins
    # a plugin is tested as a method at initialization unless it declares its family
    assert found.methods["mine"].tested_as == "init"
    declared = Study(with_plugin_method(tmp_path, GOOD, family="after_training"), base=tmp_path)
    assert declared.methods["mine"].expected("shuffle") == "worse"


@pytest.mark.parametrize(
    "source,spec,expected",
    [
        ("def score(net, data):\n    pass\n", {}, "wrong signature: it takes no parameter 'seed'"),
        ("def score(net, data, seed, alpha):\n    pass\n", {}, "it requires 'alpha'"),
        ("def scores(net, data, seed):\n    pass\n", {}, "defines no function 'score'"),
        ("def score(net, data, seed:\n", {}, "cannot be imported: syntax error in mine.py line 1"),
    ],
)
def test_bad_plugin_methods_are_named_while_planning(tmp_path, source, spec, expected):
    text = problems(with_plugin_method(tmp_path, source, **spec), base=tmp_path)
    assert "config key plugins.methods.mine.function (" in text and expected in text


def test_plugin_options_are_passed_and_may_fill_parameters(tmp_path):
    source = "def score(net, data, seed, alpha):\n    pass\n"
    config = with_plugin_method(tmp_path, source, options={"alpha": 0.5})
    assert Study(config, base=tmp_path).method_settings("mine")["options"] == {"alpha": 0.5}


def test_plugins_that_cannot_be_found_or_clash(tmp_path):
    config = smoke(
        plugins={
            "methods": {
                "snip": {"function": "x.py:score"},
                "gone": {"function": "nowhere/gone.py:score"},
                "nomod": {"function": "no_such_module_anywhere:score"},
            }
        }
    )
    text = problems(config, base=tmp_path)
    assert "plugins.methods.snip: the name 'snip' is taken by a built-in method" in text
    assert (
        "plugins.methods.gone.function (nowhere/gone.py:score): cannot be imported: no file" in text
    )
    assert "no module named 'no_such_module_anywhere'" in text


def test_plugin_architectures_and_datasets(tmp_path):
    builder = write(tmp_path / "net.py", "def build(input_shape, num_classes):\n    pass\n")
    loader = write(tmp_path / "load.py", "def load(scale=1):\n    pass\n")
    for split in ("train", "val"):
        for label in ("a", "b", "c"):
            (tmp_path / "pics" / split / label).mkdir(parents=True)
    config = smoke(
        plugins={
            "architectures": {"tiny": {"builder": builder + ":build", "training": {"epochs": 2}}},
            "datasets": {
                "pics": {"folder": "pics", "image_size": 12},
                "made": {"loader": loader + ":load", "shape": [1, 4, 4], "classes": 3},
            },
        },
        nets={"tiny-pics": {"arch": "tiny", "dataset": "pics"}},
    )
    config["grid"]["nets"] = ["tiny-pics"]
    found = Study(config, base=tmp_path)
    net = found.net_entry("tiny-pics")
    assert net.training["epochs"] == 2 and net.training["lr"] == 0.1  # the stated fallback
    assert found.dataset_shape("pics") == {"name": "pics", "shape": [3, 12, 12], "classes": 3}
    assert found.dataset_shape("made") == {"name": "made", "shape": [1, 4, 4], "classes": 3}
    assert set(found.arch_settings("tiny")["digest"]) == {"builder"}
    # an unknown name lists the plugins too
    config["nets"]["tiny-pics"]["arch"] = "tiny2"
    assert "known: lenet300, resnet20, vgg16, resnet18, resnet50, tiny (plugin)" in problems(
        config, base=tmp_path
    )


def test_bad_plugin_datasets(tmp_path):
    config = smoke(plugins={"datasets": {"pics": {"folder": "nothere"}}})
    assert "plugins.datasets.pics.folder: nothere needs train/<class>/ and val/<class>/" in (
        problems(config, base=tmp_path)
    )
    config = smoke(plugins={"datasets": {"made": {"loader": "x.py:load", "classes": 3}}})
    assert "give either folder (an ImageFolder tree) or loader, shape and classes" in problems(
        config, base=tmp_path
    )


def test_yaml_merge_replaces_lists_and_merges_dicts():
    merged = merge({"a": {"b": 1, "c": [1, 2]}, "d": 1}, yaml.safe_load("a: {c: [3]}"))
    assert merged == {"a": {"b": 1, "c": [3]}, "d": 1}

"""The extension contract (pai.plugin, docs/extending.md "What you may import"): every name the
user-facing docs, the examples and the error messages tell a user to import is there, and nothing
else; every import path a past release documented still resolves, with a warning naming the new
one (pai.deprecation); a plugin written against 0.1.0's docs still runs."""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import pai.plugin
from pai.deprecation import MOVED, PaiDeprecationWarning

REPO = Path(__file__).resolve().parents[2]
# what a user reads: the README, the extension guide and the examples
USER_FILES = [REPO / "README.md", REPO / "docs" / "extending.md",
              *sorted((REPO / "examples").rglob("*.py"))]  # fmt: skip
FROM_IMPORT = re.compile(r"from (pai(?:\.\w+)*) import ((?:\w+(?:, )?)+)")
# pai.module.name( or `pai.module.name` in prose or code (a module named alone is no name)
DOTTED = re.compile(r"\b(pai(?:\.\w+)*)\.(\w+)(?:\(|`)")


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except ModuleNotFoundError:
        return False


def told_to_import() -> set[tuple[str, str]]:
    """(module, name) for every import the user-facing files and error messages name."""
    found = set()
    for path in USER_FILES:
        text = path.read_text()
        for module, names in FROM_IMPORT.findall(text):
            found.update((module, name.strip()) for name in names.split(",") if name.strip())
        found.update(
            (module, name)
            for module, name in DOTTED.findall(text)
            if not _is_module(f"{module}.{name}") and f"{module}.{name}" not in MOVED
        )  # (a deprecated path is named as such, with its replacement)
    # the error messages: a deprecated path's warning names its new import
    found.update(tuple(new.rsplit(".", 1)) for new in MOVED.values())
    return found


def test_every_import_a_user_is_told_of_is_the_contract_and_resolves():
    names = told_to_import()
    assert names, "no import found in the user-facing files"
    outside = sorted(f"{m}.{n}" for m, n in names if m != "pai.plugin")
    assert not outside, f"user-facing files name imports outside pai.plugin: {outside}"
    for _, name in names:
        assert name in pai.plugin.__all__, name
        assert getattr(pai.plugin, name) is not None


def test_the_contract_holds_nothing_the_docs_do_not_name():
    named = {name for _, name in told_to_import()}
    assert set(pai.plugin.__all__) == named
    extending = (REPO / "docs" / "extending.md").read_text()
    for name in pai.plugin.__all__:
        assert f"`{name}`" in extending, f"docs/extending.md does not list {name}"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_deprecated_path_resolves_to_the_new_object_and_warns(old):
    module, name = old.rsplit(".", 1)
    new_module, new_name = MOVED[old].rsplit(".", 1)
    with pytest.warns(PaiDeprecationWarning, match=f"from {new_module} import {new_name}"):
        got = getattr(importlib.import_module(module), name)
    assert got is getattr(importlib.import_module(new_module), new_name)


def test_an_unknown_name_of_an_old_module_is_an_attribute_error():
    import pai.nets

    with pytest.raises(AttributeError, match=r"module 'pai\.nets' has no attribute 'build'"):
        pai.nets.build  # noqa: B018


def test_the_submodules_of_a_package_with_moved_names_still_import():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from pai.data import datasets  # noqa: F401
        from pai.training import engine  # noqa: F401


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_the_run_from_python_in_the_docs_runs():
    block = next(b for b in _python_blocks(REPO / "docs" / "extending.md") if "build_net" in b)
    code = block.replace("TrainConfig(epochs=40)", "TrainConfig(epochs=1)")
    assert code != block
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the documented imports are current: no warning
        exec(compile(code, "extending.md", "exec"), namespace)
    assert len(namespace["result"].history) == 1


def test_the_run_in_a_few_lines_of_0_1_0_still_runs_and_warns():
    # README.md of 0.1.0 ("The library"), epochs cut to one
    old = textwrap.dedent("""
        from pai import ablations, data, nets, pruning, training

        d = data.load_digits()
        model = nets.build_net("lenet300", d.input_shape, d.num_classes, seed=0)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        masks = pruning.cell_masks(pruning.method_settings("synflow"), model, 0.9, seed=0)
        start = ablations.start_state("shuffle", model, init, masks["unmodified"], seed=0)
        result = training.train(model, start, d, training.TrainConfig(epochs=1), seed=0)
    """)
    namespace: dict = {}
    with pytest.warns(PaiDeprecationWarning) as caught:
        exec(compile(old, "old_readme", "exec"), namespace)
    said = {str(w.message).split(" is deprecated")[0] for w in caught}
    assert said == {"pai.data.load_digits", "pai.nets.build_net", "pai.pruning.cell_masks",
                    "pai.pruning.method_settings", "pai.ablations.start_state",
                    "pai.training.train", "pai.training.TrainConfig"}  # fmt: skip
    assert len(namespace["result"].history) == 1


def test_a_plugin_written_against_0_1_0s_docs_runs_and_warns(tmp_path):
    # docs/extending.md of 0.1.0 told plugin authors to call pai.nets.prunable_names(net)
    (tmp_path / "old_plugin.py").write_text(
        textwrap.dedent("""
        import pai.nets
        from pai.nets import input_shape


        def score(net, data, seed):
            assert len(input_shape(net)) == 3
            params = dict(net.named_parameters())
            return {n: params[n].detach().abs() for n in pai.nets.prunable_names(net)}
    """)
    )
    (tmp_path / "old.yaml").write_text(
        textwrap.dedent(f"""
        plugins:
          methods:
            old_magnitude:
              function: {tmp_path / "old_plugin.py"}:score
    """)
    )
    result = subprocess.run(
        [sys.executable, "-m", "pai", "run", "--configfile", "presets/smoke.yaml",
         str(tmp_path / "old.yaml"), "--net", "lenet300-digits", "--method", "old_magnitude",
         "--sparsity", "0.9", "--epochs", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "final test accuracy" in result.stdout
    for name in ("prunable_names", "input_shape"):
        said = (f"PaiDeprecationWarning: pai.nets.{name} is deprecated and will be removed in "
                f"pai 0.3.0: use 'from pai.plugin import {name}' instead")  # fmt: skip
        assert said in result.stderr


def test_the_version_is_one_the_changelog_releases_and_runs_record_it():
    from pai.jobs.lifecycle import provenance

    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert releases[0] == pai.__version__  # the newest release first
    assert provenance(repo=None)["versions"]["pai"] == pai.__version__
    sections = (REPO / "CHANGELOG.md").read_text().split(f"## [{releases[1]}]")[0]
    for old in MOVED:  # every deprecated path is listed where it was deprecated
        assert old.rsplit(".", 1)[1] in sections, old

"""``python -m pai``: one run without Snakemake, through the pipeline's own library code.

    python -m pai run --net lenet300-digits --method snip --sparsity 0.9 --ablation shuffle
    python -m pai run --configfile presets/smoke.yaml examples/plugins.yaml \\
        --net convnet-shapes --method layerwise_magnitude --epochs 3
    python -m pai names          # every method, architecture, dataset, ablation and figure
    python -m pai export-masks --net lenet300-digits --method snip --to exported

``run`` reads config.yaml (and any --configfile, merged as Snakemake merges them), checks it as the
pipeline does, then makes the one cell's masks as make_mask does (training the dense net first for
a method pruned after training, and IMP's rounds for lottery), builds the run's start state,
prints each layer's density, and trains, printing the accuracy after every epoch. It writes
nothing: it is for checking a plugin, or a setting, in a minute before starting a grid.

``export-masks`` writes a method's finished masks, with the inits they were found for and (one-shot
and lottery methods) the scores that rank them, in the format a method defined by files reads
(docs/extending.md, "Bring your own masks"), and prints the config that reads them back.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pai.config import grid, registry
from pai.config.catalogue import Net
from pai.config.files import ConfigError, load_schema, read_configs
from pai.config.study import Study


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pai", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train one (net, method, sparsity, seed, ablation)")
    run.add_argument(
        "--configfile",
        nargs="+",
        default=[],
        help="config files merged over config.yaml (as snakemake --configfile)",
    )
    run.add_argument("--net", required=True, help="an entry of the config's nets catalogue")
    run.add_argument("--method", required=True)
    run.add_argument("--sparsity", type=float, default=None, help="default: the analysis one")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--ablation", default="unmodified", choices=list(registry.ABLATIONS))
    run.add_argument("--epochs", type=int, default=None, help="override the net's epochs")
    run.add_argument("--device", default=None, help="cpu | cuda (default: the config's)")
    commands.add_parser("names", help="list every name the pipeline knows (the registry)")
    export = commands.add_parser(
        "export-masks",
        help="write a method's finished masks, inits and scores as files a file method reads",
    )
    export.add_argument("--configfile", nargs="+", default=[], help="as for run")
    export.add_argument("--net", required=True, help="an entry of the grid's nets")
    export.add_argument("--method", required=True, help="a method the net's grid runs")
    export.add_argument("--to", required=True, type=Path, help="the folder to write them to")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "names":
        print(names_text())
        return 0
    try:
        if args.command == "export-masks":
            return export_masks(args)
        return run(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


def export_masks(args: argparse.Namespace) -> int:
    """Every finished cell of (net, method) written as files, and the config that reads them
    back as a method defined by files (printed, and saved beside them as method.yaml)."""
    from pai.jobs import export

    study = load_study(args.configfile)
    block = export.export_method(study, args.net, args.method, args.to)
    print(block, end="")
    return 0


def names_text() -> str:
    lines = []
    for title, table in (
        ("methods", registry.METHODS),
        ("ablations", registry.ABLATIONS),
        ("architectures", registry.ARCHITECTURES),
        ("datasets", registry.DATASETS),
    ):
        lines.append(f"{title}:")
        lines += [f"  {name:18} {entry.summary}" for name, entry in table.items()]
    lines.append("figures:")
    lines += [f"  {name:18} {f.paper}" for name, f in registry.FIGURES.items()]
    return "\n".join(lines)


@dataclass(frozen=True)
class OneRun:
    """What ``python -m pai run`` asks for, checked and resolved as the pipeline resolves it."""

    study: Study
    net: Net
    method: str
    sparsity: float
    seed: int
    ablation: str
    device: str | None
    training: dict  # the net's training settings, with --epochs applied


def _refuse_without_base_config(config: dict) -> None:
    """Without config.yaml in the working directory, the --configfile files must hold a whole
    config; a preset alone holds only what it changes, and the schema would answer with one
    'required property' error per missing section instead of saying why."""
    missing = [key for key in load_schema()["required"] if key not in config]
    if missing:
        raise ConfigError(
            [
                f"no config.yaml in {Path.cwd()}: `pai run` reads config.yaml from the working "
                "directory and merges the --configfile files over it, and these leave out "
                f"{', '.join(missing)}. Run it from the pipeline's folder (the repository root, "
                "where config.yaml is), or give a whole config with --configfile (a copy of "
                "the repository's config.yaml, edited)"
            ]
        )


def load_study(configfiles: Sequence[str]) -> Study:
    """config.yaml with the --configfile files merged over it, checked as the pipeline checks
    it."""
    paths = [path for path in ["config.yaml", *configfiles] if Path(path).is_file()]
    missing = [path for path in configfiles if not Path(path).is_file()]
    if missing:
        raise OSError(f"no config file {', '.join(missing)}")
    config = read_configs(paths)
    if not Path("config.yaml").is_file():
        _refuse_without_base_config(config)
    return Study(config, base=Path.cwd())


def resolve(args: argparse.Namespace) -> OneRun:
    """The config files merged and checked as the pipeline checks them, and the run's settings;
    a clear error for an unknown net or method, before anything is loaded."""
    study = load_study(args.configfile)
    config = study.config
    if args.net not in config["nets"]:
        raise ValueError(f"no net {args.net!r} in the nets catalogue: {', '.join(config['nets'])}")
    net = study.net_entry(args.net)
    if args.method not in study.methods:
        raise ValueError(f"unknown method {args.method!r}; known: {', '.join(study.methods)}")
    sparsity = args.sparsity
    if sparsity is None:
        sparsity = float(grid.nearest(net.sparsities, config["analysis"]["table1_sparsity"]))
    device = args.device or config["training"]["device"]
    training = dict(net.training)
    if args.epochs is not None:
        training["epochs"] = args.epochs
    return OneRun(
        study=study,
        net=net,
        method=args.method,
        sparsity=float(grid.sparsity_label(sparsity)),
        seed=args.seed,
        ablation=args.ablation,
        device=None if device == "auto" else device,
        training=training,
    )


def run(args: argparse.Namespace) -> int:
    """Check the config, make the cell's masks as make_mask does, and train the one run,
    printing each layer's density and every epoch."""
    asked = resolve(args)
    # heavy imports only here: `names` and argument errors answer at once
    import torch

    from pai.data import datasets
    from pai.models import nets
    from pai.pruning import ablations, masks
    from pai.training import engine
    from pai.training.engine import TrainConfig

    torch.set_num_threads(1)
    net, seed = asked.net, asked.seed
    config = TrainConfig.from_settings(asked.training)
    arch = asked.study.arch_settings(net.arch)
    print(f"{net.name}: {net.arch} on {net.dataset}, {config.epochs} epochs")
    dataset = datasets.load(asked.study.dataset_download(net.dataset))
    model = nets.build_net(arch, dataset.input_shape, dataset.num_classes, seed=seed)

    def train(start, **options):
        return engine.train(
            model, start, dataset, config, seed=seed, device=asked.device, **options
        )

    weights, cell = _cell(asked, model, dataset, train)
    mask = cell["invert" if asked.ablation == "invert" else "unmodified"]
    start = ablations.start_state(asked.ablation, model, weights, mask, seed, arch)
    print(f"{asked.method} at sparsity {asked.sparsity:g}, ablation {asked.ablation}, seed {seed}:")
    for name, (kept, total) in masks.layer_counts(start["mask"]).items():
        print(f"  {name:32} {kept:>10} / {total:<10} density {kept / total:.4f}")
    print(f"  {'all prunable weights':32} density {masks.density(start['mask']):.4f}")
    rewound = asked.study.methods[asked.method].start == "rewind"
    print(f"{'epoch':>5} {'train loss':>11} {'train acc':>10} {'test loss':>10} {'test acc':>9}")
    result = train(start, start_iteration=net.rewind_iteration if rewound else 0, on_epoch=_show)
    flags = [flag for flag, on in (("diverged", result.diverged),) if on]
    if result.collapsed_layers:
        flags.append(f"layers left empty: {', '.join(result.collapsed_layers)}")
    print(
        f"final test accuracy {result.final_test_accuracy:.4f}" + "".join(f"; {f}" for f in flags)
    )
    return 0


def _cell(asked: OneRun, model, dataset, train) -> tuple[dict, dict]:
    """The weights the run starts from and the cell's masks, as the pipeline makes them: a
    method pruned after training trains the dense net first (its rewind point for lottery)."""
    from pai.data import scoring_set
    from pai.pruning import masks, prune

    method = asked.study.methods[asked.method]
    if method.schedule == "files":  # masks found elsewhere: the cell's files, checked
        from pai.pruning import mask_files

        label = grid.sparsity_label(asked.sparsity)
        settings = asked.study.method_settings(
            asked.method, net=asked.net.name, cells=[(label, str(asked.seed))]
        )
        (files,) = settings["files"]
        weights = mask_files.load_init(files["init"]["path"], model)
        rankings = ["unmodified", "invert"] if asked.ablation == "invert" else ["unmodified"]
        return weights, mask_files.cell_masks(settings, files, model, asked.sparsity, rankings)
    settings = asked.study.method_settings(asked.method)
    weights = {name: t.clone() for name, t in model.state_dict().items()}
    dense = None
    if method.after_training:
        print(f"{asked.method} prunes the trained dense net: training it first")
        rewind = asked.net.rewind_iteration if method.start == "rewind" else None
        dense = train(
            {"weights": weights, "mask": masks.ones_mask(model)}, snapshot_iteration=rewind
        )
        weights = dense.snapshot if method.start == "rewind" else dense.weights
        print(f"  dense: final test accuracy {dense.final_test_accuracy:.4f}")
    model.load_state_dict(weights)
    if method.schedule == "lottery":
        cell = _lottery(asked.net, asked.sparsity, asked.seed, dense.weights, weights, model, train)
        return weights, cell
    subset = None
    if method.data:
        subset = scoring_set.scoring_subset(dataset, settings["examples_per_class"], asked.seed)
    return weights, prune.cell_masks(settings, model, asked.sparsity, seed=asked.seed, data=subset)


def _show(row: dict) -> None:
    print(
        f"{row['epoch']:>5} {row['train_loss']:>11.4f} {row['train_accuracy']:>10.4f} "
        f"{row['test_loss']:>10.4f} {row['test_accuracy']:>9.4f}",
        flush=True,
    )


def _lottery(net, sparsity, seed, dense, rewind, model, train) -> dict:
    """IMP's rounds up to the one whose ranking gives ``sparsity``, as the pipeline runs them
    (make_lottery_mask, train_lottery_round): each round's mask on the rewind point, trained from
    the rewind iteration; the last round's ranking cut at ``sparsity``."""
    from pai.pruning import ablations, prune

    last = grid.lottery_round(sparsity)
    trained, previous = dense, None
    for round_index in range(1, last + 1):
        at = float(grid.lottery_label(round_index)) if round_index < last else sparsity
        cell = prune.lottery_masks(round_index, at, trained, previous, model)
        if round_index == last:
            return cell
        print(f"  lottery round {round_index}: training at sparsity {at:g}")
        start = ablations.start_state("unmodified", model, rewind, cell["unmodified"], seed)
        trained = train(start, start_iteration=net.rewind_iteration).weights
        previous = cell
    raise AssertionError("unreachable")


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m raygan.train``: one GAN training run, no Ray needed.

Example::

    python -m raygan.train --model dcgan --dataset mnist --data-dir ../shared/data/mnist \\
        --steps 3000 --report-every 500 --out runs/dcgan --set lr_g=1e-4 --set latent_dim=64

A run's length is counted in thousands of real images shown to the discriminator
(``--kimg``); ``--steps`` and ``--report-every`` give it in generator steps instead, converted
with the run's batch size.  A run killed part-way continues from its last checkpoint with
``--resume --out FOLDER`` (bit for bit on the same device); its length may be raised on
resume to train longer, and
``--data-dir`` and ``--device`` may change (a run moved to another kind of device continues
with its batch and noise stream re-seeded).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from raygan.budget import UNTIL_DEADLINE_KIMG, Budget, kimg_of_steps
from raygan.cli import Parser, duration, positive_float, positive_int, user_errors
from raygan.config import GANConfig, parse_overrides
from raygan.data import DATASETS, FOLDER, check_data_options, detect_dataset
from raygan.errors import RayganError
from raygan.models import MODELS
from raygan.version import __version__

PROG = "raygan.train"
DEFAULTS = Budget()
# the flag that sets each field or argument the library names in its errors
FLAGS = {"max_kimg": "--kimg", "report_kimg": "--report-kimg", "checkpoint_every": "--checkpoint-every",
         "quick_num": "--quick-num", "final_num": "--final-num", "data_dir": "--data-dir", "download": "--download",
         "image_size": "--image-size", "channels": "--channels", "dataset": "--dataset", "out": "--out",
         "overwrite": "--overwrite", "resume": "--resume", "device": "--device"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help=f"one of {', '.join(MODELS)} (default gan)")
    parser.add_argument("--dataset", default=None,
                        help=f"one of {', '.join(DATASETS)} (default: folder when --data-dir holds images, else mnist)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the four IDX .gz files, or a folder of PNG/JPEG images (in class subfolders "
                             "for labels) (default: $RAYGAN_DATA/DATASET or the per-user data folder, downloaded "
                             "there when online)")
    parser.add_argument("--image-size", type=int, default=None,
                        help="image folders: 28, 32 or 64 pixels, resized and centre-cropped once (default: the images')")
    parser.add_argument("--channels", type=int, default=None, help="image folders: 1 (grey) or 3 (colour) "
                                                                   "(default: the images')")
    parser.add_argument("--download", action="store_true", help="download the dataset into --data-dir if missing")
    parser.add_argument("--kimg", "--max-kimg", dest="max_kimg", type=positive_float, default=None,
                        help=f"thousands of real images to train on (default {DEFAULTS.max_kimg:g}: 3,000 steps "
                             "at batch 64)")
    parser.add_argument("--steps", type=positive_int, default=None,
                        help="or the length in generator steps (times batch_size x d_steps images)")
    parser.add_argument("--report-kimg", type=positive_float, default=None,
                        help=f"kimg between reports (default {DEFAULTS.report_kimg:g})")
    parser.add_argument("--report-every", type=positive_int, default=None, help="or steps between reports")
    parser.add_argument("--time-budget", type=duration, default=None,
                        help="stop, checkpointed, at the last report before this wall time (e.g. 15m); "
                             "without --kimg or --steps, train until then")
    parser.add_argument("--checkpoint-every", type=int, default=None,
                        help=f"reports between checkpoints (default {DEFAULTS.checkpoint_every})")
    parser.add_argument("--quick-num", type=int, default=None,
                        help=f"samples for the per-report metrics, 0 for none (default {DEFAULTS.quick_num})")
    parser.add_argument("--final-num", type=int, default=None,
                        help=f"samples for the final metrics, 0 for none (default {DEFAULTS.final_num})")
    parser.add_argument("--out", default=None, help="output folder (default runs/MODEL-DATASET-TIME)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any config field, e.g. lr_g=1e-4, cond=hidden, g_hidden=256,512 (repeatable)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (same as --set seed=S)")
    parser.add_argument("--device", default=None, help="cpu, cuda or auto (default: cuda if present)")
    return parser


def _given(args) -> tuple[dict, dict]:
    """The config values and budget values (steps flags not yet converted) this command line sets."""
    config = {key: getattr(args, key) for key in ("model", "dataset", "seed") if getattr(args, key) is not None}
    if "dataset" not in config and args.data_dir is not None and detect_dataset(args.data_dir) == FOLDER:
        config["dataset"] = FOLDER
    config.update(parse_overrides(args.set))
    budget = {key: getattr(args, key) for key in Budget.__dataclass_fields__ if getattr(args, key) is not None}
    return config, budget


def _in_kimg(args, budget_values: dict, config: GANConfig) -> dict:
    """``budget_values`` with ``--steps`` and ``--report-every`` converted to kimg at ``config``'s batch size."""
    values = dict(budget_values)
    for flag, key, kimg_flag in (("steps", "max_kimg", "--kimg"), ("report_every", "report_kimg", "--report-kimg")):
        steps = getattr(args, flag)
        if steps is not None:
            if key in values:
                raise RayganError(f"--{flag.replace('_', '-')} and {kimg_flag} set the same thing; pass one")
            values[key] = kimg_of_steps(steps, config.batch_size, config.d_steps)
    return values


def resolve_options(args, saved: dict | None) -> tuple[dict, GANConfig, Budget]:
    """The run's options (and its config and budget): from the command line for a new run; the saved
    ones, checked against the command line, for --resume."""
    config_values, budget_values = _given(args)
    if saved is None:
        config = GANConfig.from_dict({"model": "gan", "dataset": "mnist", **config_values}, source="arguments")
        check_data_options(config.dataset, args.image_size, args.channels)
        budget_values = _in_kimg(args, budget_values, config)
        if args.time_budget and "max_kimg" not in budget_values:
            budget_values["max_kimg"] = UNTIL_DEADLINE_KIMG  # the clock alone ends the run
        budget = Budget.from_dict(budget_values, source="arguments")
        return {"raygan_version": __version__, "config": config.to_dict(), "budget": budget.to_dict(),
                "data_dir": args.data_dir,  # None: the default place; main() records the folder found
                "image_size": args.image_size, "channels": args.channels,
                "device": args.device or "auto"}, config, budget
    saved_config = GANConfig.from_saved(saved["config"]).to_dict()  # defaults for keys added since, none of no effect
    config = GANConfig.from_dict({**saved_config, **config_values}, source="arguments")
    budget = Budget.from_dict({**saved["budget"], **_in_kimg(args, budget_values, config)}, source="arguments")
    for what, new, old in (("config", config.to_dict(), saved_config),
                           ("budget", budget.to_dict(), saved["budget"]),
                           ("data option", {k: getattr(args, k) for k in ("image_size", "channels")
                                            if getattr(args, k) is not None}, saved)):
        for key in new:
            if new[key] != old.get(key) and key != "max_kimg":
                raise RayganError(f"--resume continues the run with its saved options, but {what} {key} differs "
                                  f"(saved {old.get(key)!r}, given {new[key]!r}); drop that option, or start a "
                                  "new run with --overwrite or another --out")
    return {**saved, "budget": budget.to_dict(),
            "data_dir": str(Path(args.data_dir or saved["data_dir"]).expanduser().resolve()),
            "device": args.device or saved["device"]}, config, budget


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG, FLAGS, argv):
        from raygan.data import open_source
        from raygan.devices import pick_device
        from raygan.folder_run import prepare_folder, reached_kimg, read_options, train_run, write_options

        if args.resume and args.overwrite:
            raise RayganError("--resume and --overwrite contradict each other; pass one")
        if args.resume and args.out is None:
            raise RayganError("--resume needs --out FOLDER of the run to continue")
        out = Path(args.out) if args.out else None
        options, config, budget = resolve_options(args, read_options(out) if args.resume else None)
        # missing data fails before any work; the default place is downloaded into when online
        source = open_source(config.dataset, options["data_dir"] if args.resume else args.data_dir,
                             args.download, options.get("image_size"), options.get("channels"))
        options["data_dir"] = str(source.folder.resolve())
        out = out or Path(f"runs/{config.model}-{source.name}-{time.strftime('%Y%m%d-%H%M%S')}")
        # a run ends on the first step at or past its length: it may be up to one step past it
        if args.resume and reached_kimg(out) - budget.max_kimg >= kimg_of_steps(1, config.batch_size, config.d_steps):
            raise RayganError(f"the run's length ({budget.max_kimg:g} kimg) is below what the run in {out} has "
                              f"reached ({reached_kimg(out):g} kimg); pass a larger --kimg or --steps, or none")
        device = pick_device(options["device"])
        if not args.resume:
            prepare_folder(out, overwrite=args.overwrite)
        write_options(out, options)
        summary = train_run(config, budget, source, out, device=device, time_budget=args.time_budget)
        print(json.dumps({"out": str(out), **summary}))


if __name__ == "__main__":
    main()

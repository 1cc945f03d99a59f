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

from raygan.budget import Budget
from raygan.cli import Parser, callable_as, duration, positive_float, positive_int, user_errors
from raygan.config import parse_overrides
from raygan.data import DATASETS
from raygan.models import MODELS
from raygan.recipes import describe_recipe
from raygan.train_api import train

PROG = "raygan.train"
DEFAULTS = Budget()
# the flag that sets each field or argument the library names in its errors
FLAGS = {"max_kimg": "--kimg", "report_kimg": "--report-kimg", "checkpoint_every": "--checkpoint-every",
         "quick_num": "--quick-num", "final_num": "--final-num", "data_dir": "--data-dir", "download": "--download",
         "image_size": "--image-size", "channels": "--channels", "dataset": "--dataset", "out": "--out",
         "overwrite": "--overwrite", "resume": "--resume", "device": "--device", "steps": "--steps",
         "report_every": "--report-every", "time_budget": "--time-budget"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    recipes = "; ".join(f"{model}: {describe_recipe(model)}" for model in MODELS)
    parser.add_argument("--model", default=None,
                        help=f"one of {', '.join(MODELS)} (default gan); the keys --set leaves out take the model's "
                             f"best measured recipe ({recipes}), then the defaults the README lists")
    parser.add_argument("--dataset", default=None,
                        help=f"one of {', '.join(DATASETS)} (default: what --data-dir holds, IDX files told apart by "
                             "their content; else mnist)")
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


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG, FLAGS, argv):
        result = train(args.model, dataset=args.dataset, data_dir=args.data_dir, download=args.download,
                       image_size=args.image_size, channels=args.channels, max_kimg=args.max_kimg, steps=args.steps,
                       report_kimg=args.report_kimg, report_every=args.report_every, time_budget=args.time_budget,
                       checkpoint_every=args.checkpoint_every, quick_num=args.quick_num, final_num=args.final_num,
                       out=args.out, resume=args.resume, overwrite=args.overwrite, config=parse_overrides(args.set),
                       seed=args.seed, device=args.device)
        print(json.dumps(result.to_record()))


callable_as(__name__, train)  # raygan.train(...) trains, also where this module shadows the function

if __name__ == "__main__":
    main()

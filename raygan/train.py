"""``python -m raygan.train``: one GAN training run, no Ray needed.

Example::

    python -m raygan.train --model dcgan --dataset mnist --data-dir ../shared/data/mnist \\
        --steps 3000 --report-every 500 --out runs/dcgan --set lr_g=1e-4 --set latent_dim=64
"""
from __future__ import annotations

import json
import time

from raygan.cli import Parser, positive_int, user_errors
from raygan.config import DATASETS, MODELS, GANConfig, parse_overrides
from raygan.devices import best_device

PROG = "raygan.train"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gan", help=f"one of {', '.join(MODELS)} (default gan)")
    parser.add_argument("--dataset", default="mnist", help=f"one of {', '.join(DATASETS)} (default mnist)")
    parser.add_argument("--data-dir", required=True, help="folder with the four IDX .gz files")
    parser.add_argument("--download", action="store_true", help="download the dataset into --data-dir if missing")
    parser.add_argument("--steps", type=positive_int, default=3000, help="generator steps (default 3000)")
    parser.add_argument("--report-every", type=positive_int, default=500, help="steps between reports (default 500)")
    parser.add_argument("--out", default=None, help="output folder (default runs/MODEL-DATASET-TIME)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any config field, e.g. lr_g=1e-4, cond=hidden, g_hidden=256,512 (repeatable)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (same as --set seed=S)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: cuda if present)")
    parser.add_argument("--quick-num", type=int, default=2000, help="samples for per-report metrics (0: none)")
    parser.add_argument("--final-num", type=int, default=10000, help="samples for the final metrics (0: none)")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        from raygan.run import train_run  # after argument errors, so --help stays fast

        values = {"model": args.model, "dataset": args.dataset, **parse_overrides(args.set)}
        if args.seed is not None:
            values["seed"] = args.seed
        config = GANConfig.from_dict(values, source="arguments")
        out = args.out or f"runs/{config.model}-{config.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
        final = train_run(config, args.data_dir, args.steps, args.report_every, out,
                          device=best_device(args.device), quick_num=args.quick_num,
                          final_num=args.final_num, download=args.download)
        print(json.dumps({"out": str(out), **final}))


if __name__ == "__main__":
    main()

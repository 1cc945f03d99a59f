"""``python -m raygan.evaluate``: print an exported generator's sample-quality metrics as JSON.

Example::

    python -m raygan.evaluate runs/dcgan/generator.safetensors --data-dir ../shared/data/mnist \\
        --num 10000 --metrics fid,kid,classes_covered
"""
from __future__ import annotations

import json

from raygan.cli import Parser, positive_int, user_errors
from raygan.config import DATASETS

PROG = "raygan.evaluate"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="a generator .safetensors file exported by raygan")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="evaluator and reference data (default: the dataset the generator was trained on)")
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's four IDX .gz files")
    parser.add_argument("--num", type=positive_int, default=10000, help="samples to draw (default 10000)")
    parser.add_argument("--metrics", default=None, help="comma-separated metric names (default: all that apply)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent noise (default 0)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: cuda if present)")
    return parser


def main(argv=None) -> None:
    with user_errors(PROG):
        args = build_parser().parse_args(argv)
        from raygan.devices import best_device
        from raygan.export import load_generator, read_metadata
        from raygan.metrics import evaluate_generator

        dataset = args.dataset or read_metadata(args.generator)["dataset"]
        generator = load_generator(args.generator, device=best_device(args.device))
        names = None if args.metrics is None else [name.strip() for name in args.metrics.split(",") if name.strip()]
        result = evaluate_generator(generator, dataset, args.data_dir, num=args.num, metrics=names, seed=args.seed)
        print(json.dumps({"generator": args.generator, "dataset": dataset, "num_samples": args.num, **result}))


if __name__ == "__main__":
    main()

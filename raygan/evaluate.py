"""``python -m raygan.evaluate``: print an exported generator's sample-quality metrics as JSON.

Example::

    python -m raygan.evaluate runs/dcgan/generator.safetensors --data-dir ../shared/data/mnist \\
        --num 10000 --metrics fid,kid,classes_covered

When the generator sits in a ``python -m raygan.train`` output folder, the result is also
appended to that folder's ``evaluations.jsonl``.  In a terminal, progress bars cover drawing
the samples, embedding them and each metric in turn (on stderr; stdout holds only the JSON).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from raygan.budget import FINAL_NUM
from raygan.cli import Parser, positive_int, seed_int, user_errors
from raygan.data import DATASETS
from raygan.metrics.registry import describe_metrics

PROG = "raygan.evaluate"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="metrics (name: meaning):\n" + describe_metrics())
    parser.add_argument("generator", help="a generator .safetensors file exported by raygan")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="evaluator and reference data (default: the dataset the generator was trained on)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the dataset's four IDX .gz files, or the image folder it was trained on")
    parser.add_argument("--num", type=positive_int, default=FINAL_NUM,
                        help=f"samples to draw (default {FINAL_NUM})")
    parser.add_argument("--metrics", default=None, help="comma-separated metric names (default: all that apply)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the latent noise (default 0)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: cuda if present)")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        from raygan.data import FOLDER, find_files
        from raygan.metrics.train_evaluator import load_with_evaluator
        from raygan.devices import pick_device
        from raygan.export import load_generator
        from raygan.metrics import check_metrics, evaluate_generator
        from raygan.records import append_jsonl
        from raygan.run import EVALUATIONS, OPTIONS_FILE

        generator = load_generator(args.generator, device=pick_device(args.device))
        dataset = args.dataset or generator.metadata["dataset"]
        names = None if args.metrics is None else [name.strip() for name in args.metrics.split(",") if name.strip()]
        check_metrics(names, generator.conditional, generator.info.labelled)
        reference, shown = args.data_dir, dataset
        if dataset == FOLDER:  # the folder's test split at the generator's shape, and its evaluator
            channels, size, _ = generator.image_shape
            reference = load_with_evaluator(FOLDER, find_files(FOLDER, args.data_dir), size, channels)[1]
            dataset, shown = reference.info, reference.info.name
        elif args.data_dir is not None:
            find_files(dataset, args.data_dir)  # before sampling: a wrong folder is a one-line error now
        result = evaluate_generator(generator, dataset, reference, num=args.num, metrics=names, seed=args.seed,
                                    progress=True)
        record = {"generator": str(args.generator), "dataset": shown, "steps": generator.metadata.get("steps"),
                  "seed": args.seed, **result}
        run_folder = Path(args.generator).parent
        if (run_folder / OPTIONS_FILE).is_file():
            append_jsonl(run_folder / EVALUATIONS, record)
        print(json.dumps(record))


if __name__ == "__main__":
    main()

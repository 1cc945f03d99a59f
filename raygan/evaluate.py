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
import sys
from pathlib import Path

from raygan.budget import FINAL_NUM
from raygan.cli import Parser, positive_int, seed_int, user_errors
from raygan.data import DATASETS
from raygan.metrics.registry import describe_metrics

PROG = "raygan.evaluate"
FLAGS = {"device": "--device", "data_dir": "--data-dir", "dataset": "--dataset", "metrics": "--metrics"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="metrics (name: meaning):\n" + describe_metrics())
    parser.add_argument("generator", help="a generator .safetensors file exported by raygan")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="evaluator and reference data (default: the generator's own; MNIST or Fashion-MNIST files "
                             "in --data-dir replace an image folder it was trained on)")
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
    with user_errors(PROG, FLAGS):
        from raygan.data import FOLDER, dataset_info, measured_against, open_source
        from raygan.data.prepare import prepare
        from raygan.devices import pick_device
        from raygan.generator_file import load_generator
        from raygan.layout import EVALUATIONS, OPTIONS_FILE
        from raygan.metrics import check_metrics, open_measurer
        from raygan.records import append_jsonl

        device = pick_device(args.device)
        generator = load_generator(args.generator, device=device)
        dataset = measured_against(generator.metadata["dataset"], generator.image_shape, args.data_dir, args.dataset,
                                   generator.info.class_names if generator.conditional else None)
        names = None if args.metrics is None else [name.strip() for name in args.metrics.split(",") if name.strip()]
        labelled = generator.info.labelled if dataset == FOLDER else dataset_info(dataset).labelled
        check_metrics(names, generator.conditional, labelled)
        if args.data_dir is None and dataset != FOLDER:  # metrics that need no real data, or a one-line error
            measurer, shown = open_measurer(dataset, None, device), dataset
        else:  # an image folder is read at the generator's shape
            channels, size, _ = generator.image_shape
            shape = {"image_size": size, "channels": channels} if dataset == FOLDER else {}
            source = open_source(dataset, args.data_dir, **shape)  # before sampling: a wrong folder fails now
            # what preparing says (the data line, an evaluator's training) goes to stderr: stdout is the JSON record
            measurer, shown = prepare(source, device, log=lambda line: print(line, file=sys.stderr)).measurer, \
                source.name
        result = measurer.measure_generator(generator, num=args.num, metrics=names, seed=args.seed, progress=True)
        record = {"generator": str(args.generator), "dataset": shown, "steps": generator.metadata.get("steps"),
                  "seed": args.seed, **result}
        run_folder = Path(args.generator).parent
        if (run_folder / OPTIONS_FILE).is_file():
            append_jsonl(run_folder / EVALUATIONS, record)
        print(json.dumps(record))


if __name__ == "__main__":
    main()

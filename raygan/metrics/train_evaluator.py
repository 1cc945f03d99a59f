"""``python -m raygan.metrics.train_evaluator``: train the evaluator network for a dataset.

    python -m raygan.metrics.train_evaluator --dataset mnist --data-dir DIR     # the shipped weights
    python -m raygan.metrics.train_evaluator --data-dir FOLDER [--image-size 32] [--channels 3]

For MNIST and Fashion-MNIST the weights go to ``weights/<dataset>.safetensors`` and the
record to ``weights/accuracy.json``; for a folder both go to the evaluator cache under the
data fingerprint, which ``train`` and ``search`` fill on their own when they need it.  The
recipe is :mod:`raygan.metrics.evaluator_training`'s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from raygan.atomic import output_folder
from raygan.cli import Parser, positive_int, seed_int, user_errors
from raygan.data import DATASETS, FOLDER, open_source
from raygan.metrics.evaluator import WEIGHTS_DIR
from raygan.metrics.evaluator_training import ensure_evaluator, save, train

PROG = "raygan.metrics.train_evaluator"
FLAGS = {"data_dir": "--data-dir", "image_size": "--image-size", "channels": "--channels", "dataset": "--dataset",
         "download": "--download", "out_dir": "--out-dir"}


def main(argv=None) -> None:
    parser = Parser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="mnist, fashion_mnist or folder (default: folder when --data-dir holds images)")
    parser.add_argument("--data-dir", required=True, help="folder with the four IDX .gz files, or of images")
    parser.add_argument("--image-size", type=int, default=None, help="image folders: 28, 32 or 64 (default: the "
                                                                     "images')")
    parser.add_argument("--channels", type=int, default=None, help="image folders: 1 or 3 (default: the images')")
    parser.add_argument("--epochs", type=positive_int, default=4)
    parser.add_argument("--steps", type=positive_int, default=None, help="train this many steps instead")
    parser.add_argument("--seed", type=seed_int, default=0)
    parser.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR,
                        help="shipped datasets: where the weights go (default: the package's weights folder)")
    args = parser.parse_args(argv)
    with user_errors(PROG, FLAGS):
        source = open_source(args.dataset, args.data_dir, image_size=args.image_size, channels=args.channels)
        if source.kind == FOLDER:
            train_set, test_set = source.load()
            path = ensure_evaluator(train_set, test_set, steps=args.steps, retrain=True)
            print(f"wrote {path}", file=sys.stderr)
            return
        output_folder(args.out_dir, "out_dir")
        started = time.perf_counter()
        dataset = source.dataset
        train_set, test_set = source.load()
        net, test_accuracy = train(train_set, test_set, epochs=args.epochs, seed=args.seed, steps=args.steps)
        record = {"test_accuracy": round(test_accuracy, 4), "epochs": args.epochs, "seed": args.seed,
                  "train_seconds": round(time.perf_counter() - started), "torch": torch.__version__,
                  "command": f"python -m {PROG} --dataset {dataset} --data-dir DIR "
                             f"--epochs {args.epochs} --seed {args.seed}"}
        path = save(net, dataset, args.out_dir, record)
        print(f"test accuracy {test_accuracy:.4f}; wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""``python -m bench.image_folders``: a real dataset as a folder of PNGs against the same data as IDX files.

Writes Fashion-MNIST (both splits, all 70,000 images) as ``OUT/fashion_png/{train,test}/<class>/*.png``,
then measures, one after the other:

1. loading the 60,000-image training split from the folder: the first time (decode on
   several threads, then cache) and again (served from the cache);
2. training the folder's evaluator (the full recipe), its time and held-out accuracy;
3. ``python -m raygan.train --model MODEL --steps STEPS`` on the folder and on the IDX files,
   then both exports measured alike by the *shipped* Fashion-MNIST evaluator (trained on
   the IDX files, so it judges both runs as an outside classifier would), 10,000 samples.

``--evaluators`` instead trains the evaluator (full recipe) on each of the test suite's
folder kinds built from real data (1,000 MNIST digits in class folders at 28x28 grey; the
same padded to 32x32 and tinted per class; 600 Fashion-MNIST images flat) and reports time
and held-out accuracy.  Nothing else should run meanwhile: the loads are timed.

Example (2 CPU cores: about 20 minutes)::

    python -m bench.image_folders --idx-dir /usr/share/datasets/fashion-mnist --out bench/runs/folders \\
        --json bench/image_folders.jsonl
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.record import provenance
from raygan.atomic import output_folder
from raygan.budget import FINAL_NUM
from raygan.cache import cache_dir
from raygan.cli import Parser, positive_int, user_errors
from raygan.data import KNOWN_DATASETS, FolderSource, load_dataset
from raygan.data.idx import read_idx
from raygan.errors import RayganError
from raygan.records import append_jsonl

PROG = "bench.image_folders"
CLASSES = [name.replace("/", "-") for name in KNOWN_DATASETS["fashion_mnist"].class_names]


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--idx-dir", required=True, help="Fashion-MNIST's four IDX .gz files")
    parser.add_argument("--mnist-dir", default=None, help="MNIST's IDX files (for --evaluators)")
    parser.add_argument("--out", required=True, help="folder for the PNGs, the runs and the cache")
    parser.add_argument("--model", default="dcgan")
    parser.add_argument("--steps", type=positive_int, default=3000)
    parser.add_argument("--evaluators", action="store_true", help="time the evaluator on the test-suite folders")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    return parser


def write_pngs(idx_dir: Path, root: Path) -> float:
    """Both splits as class folders of PNGs; the seconds it took (skipped when already written)."""
    from PIL import Image

    if (root / "test").is_dir():
        return 0.0
    started = time.time()
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(idx_dir / f"{prefix}-images-idx3-ubyte.gz", 3)
        labels = read_idx(idx_dir / f"{prefix}-labels-idx1-ubyte.gz", 1)
        for name in CLASSES:
            (root / split / name).mkdir(parents=True, exist_ok=True)
        for i, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image).save(root / split / CLASSES[label] / f"{i:05d}.png")
    return time.time() - started


def cli(args: list[str], log) -> str:
    log("$ python -m " + " ".join(args))
    done = subprocess.run([sys.executable, "-m", *args], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RayganError(f"'{' '.join(args[:2])}' failed with exit code {done.returncode}; see its output above")
    return done.stdout


def timed_load(folder: Path) -> tuple[float, object]:
    started = time.time()
    data = load_dataset("folder", folder, "train")
    return time.time() - started, data


def folder_vs_idx(args, out: Path, log) -> dict:
    folder = out / "fashion_png"
    written = write_pngs(Path(args.idx_dir), folder)
    shutil.rmtree(cache_dir("data"), ignore_errors=True)  # the first load decodes
    first_s, train = timed_load(folder)
    cached_s, _ = timed_load(folder)
    from raygan.metrics.evaluator import recorded_accuracy
    from raygan.metrics.evaluator_training import ensure_evaluator

    test = load_dataset("folder", folder, "test")
    ensure_evaluator(train, test, log=log)
    evaluator = recorded_accuracy(test.info)
    runs = {}
    for arm, data in (("folder", str(folder)), ("idx", args.idx_dir)):
        run = out / f"{args.model}-{arm}"
        if not (run / "generator.safetensors").is_file():
            extra = [] if arm == "folder" else ["--dataset", "fashion_mnist"]
            cli(["raygan.train", "--model", args.model, "--data-dir", data, *extra, "--steps", str(args.steps),
                 "--out", str(run), "--overwrite"], log)
        record = json.loads(cli(["raygan.evaluate", str(run / "generator.safetensors"), "--dataset", "fashion_mnist",
                                 "--data-dir", args.idx_dir, "--num", str(FINAL_NUM)], log).splitlines()[-1])
        runs[arm] = {k: record[k] for k in ("fid", "kid", "inception_score", "classes_covered", "evaluator")}
    return {"bench": "folder_vs_idx", "model": args.model, "steps": args.steps, "cpus": os.cpu_count(),
            "png_write_s": round(written, 1), "images": len(train), "first_load_s": round(first_s, 2),
            "cached_load_s": round(cached_s, 2), "evaluator": evaluator, "runs": runs,
            "fid_ratio_folder_over_idx": round(runs["folder"]["fid"] / runs["idx"]["fid"], 3)}


def evaluators(args, out: Path, log) -> dict:
    from raygan.metrics.evaluator import recorded_accuracy
    from raygan.metrics.evaluator_training import ensure_evaluator
    from tests.conftest import first_per_class, write_image_folder  # the test suite's own folder builders

    if args.mnist_dir is None:
        raise RayganError("--evaluators needs --mnist-dir (the digit folders are built from MNIST)")
    mnist = (read_idx(Path(args.mnist_dir) / "train-images-idx3-ubyte.gz", 3),
             read_idx(Path(args.mnist_dir) / "train-labels-idx1-ubyte.gz", 1).astype(np.int64))
    digits, labels = first_per_class(*mnist, 100)
    fashion = read_idx(Path(args.idx_dir) / "train-images-idx3-ubyte.gz", 3)[:600]
    kinds = {"digits 28x28 grey, 10 class folders": dict(images=digits, labels=labels, class_names=list("0123456789")),
             "digits 32x32 colour, 10 class folders": dict(images=digits, labels=labels, colour=True, pad=2,
                                                          class_names=[f"c{d}" for d in range(10)]),
             "fashion 28x28 grey, flat": dict(images=fashion, labels=[0] * len(fashion))}
    results = {}
    for i, (kind, spec) in enumerate(kinds.items()):
        folder = out / f"suite-{i}"
        if not folder.is_dir():
            write_image_folder(folder, **spec)
        train, test = FolderSource(folder).load()
        ensure_evaluator(train, test, log=log, retrain=True)
        record = recorded_accuracy(test.info)
        results[kind] = {k: record[k] for k in ("task", "held_out_accuracy", "train_seconds", "train_images",
                                                "test_images")}
    return {"bench": "evaluators", "cpus": os.cpu_count(), "results": results}


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        out = output_folder(Path(args.out), "out")
        os.environ["RAYGAN_CACHE"] = str(out.resolve() / "cache")  # a cache of the bench's own, cold for the loads
        log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        result = {**provenance(), **(evaluators(args, out, log) if args.evaluators else folder_vs_idx(args, out, log))}
        print(json.dumps(result, indent=2))
        if args.json:
            append_jsonl(args.json, result)


if __name__ == "__main__":
    main()

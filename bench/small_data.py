"""``python -m bench.small_data``: searches on small image folders, with augmentation and D's regularisers off and on.

For each size N of ``--sizes`` it builds a class folder of Fashion-MNIST's first N/10 training
images of each class (``OUT/fashion-N/<class>/*.png``; with ``--colour`` the same padded to
32x32 and tinted one colour per class, 3 channels), then runs, one after the other, the same
budgeted search with two spaces:

- ``off``: ``python -m raygan.search --space dcgan --data-dir FOLDER --time-budget T --export ...``
  (no augmentation, no R1, no LeCam: what a folder got before small data was handled);
- ``on``: the same without ``--space``: the default for a small folder (``small-cdcgan`` for these
  labelled folders, :mod:`raygan.space.default`), which also searches augmentation, R1 and LeCam.

Each export is measured the way an outsider would: grey folders by the shipped Fashion-MNIST
evaluator against the full Fashion-MNIST test split (10,000 samples: fid, precision, recall,
classes covered); colour folders, which that evaluator cannot read, by the folder's own
evaluator on its held-out images.  Beside them: the export's ``copy_rate`` (against the
folder's training images), and ADA's last ``augment_p`` and D's last accuracies on training
and held-out images from the final run's reports.  Nothing else should run meanwhile: both
arms are budgeted by the wall clock.

Example (2 CPU cores, 15 minutes per search: 1 hour)::

    python -m bench.small_data --data-dir /usr/share/datasets/fashion-mnist --sizes 1000,5000 \\
        --time-budget 15m --out bench/runs/small --json bench/small_data.jsonl
"""
from __future__ import annotations

import json
from pathlib import Path

from bench.folders import first_per_class, write_image_folder
from bench.record import describe, markdown_table, measure_and_publish
from bench.search_vs_single import timed, typed
from raygan.atomic import output_folder
from raygan.budget import FINAL_NUM
from raygan.cli import Parser, duration
from raygan.data.prepare import prepare
from raygan.data.sources import FolderSource
from raygan.errors import RayganError

PROG = "bench.small_data"
ARMS = {"off": "dcgan", "on": None}  # None: no --space, the search's default for the folder
SHOWN = ("fid", "precision", "recall", "classes_covered", "copy_rate", "augment_p", "d_acc_train", "d_acc_heldout")


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="Fashion-MNIST's four IDX .gz files")
    parser.add_argument("--sizes", default="1000,5000", help="folder sizes, comma-separated multiples of 10")
    parser.add_argument("--time-budget", type=duration, required=True, help="each search's budget, e.g. 15m")
    parser.add_argument("--colour", action="store_true", help="32x32 colour folders (tinted per class)")
    parser.add_argument("--out", required=True, help="folder for the image folders and the searches")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    return parser


def sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or any(v < 10 or v % 10 for v in values):
        raise RayganError(f"--sizes must be multiples of 10 (10 or more) separated by commas, got '{text}'")
    return values


def build_folder(idx_dir: Path, size: int, colour: bool, out: Path) -> Path:
    """The first ``size``/10 training images of each Fashion-MNIST class as a class folder (kept if already there)."""
    from raygan.data import KNOWN_DATASETS
    from raygan.data.idx import read_idx

    root = out / f"fashion-{size}{'-colour' if colour else ''}"
    if root.is_dir():
        return root
    images = read_idx(idx_dir / "train-images-idx3-ubyte.gz", 3)
    labels = read_idx(idx_dir / "train-labels-idx1-ubyte.gz", 1).astype("int64")
    names = [name.replace("/", "-") for name in KNOWN_DATASETS["fashion_mnist"].class_names]
    images, labels = first_per_class(images, labels, size // 10)
    return write_image_folder(root, images, labels, names, colour=colour, pad=2 if colour else 0)


def last_final_report(experiment: Path) -> dict:
    """The last report of the search's final run (an empty dict without one)."""
    results = sorted((experiment / "final").glob("*/result.json"))
    if not results:
        return {}
    lines = results[0].read_text().splitlines()
    return json.loads(lines[-1]) if lines else {}


def measure_export(path: Path, folder: Path, idx_dir: Path, colour: bool) -> dict:
    """The export's outside measurement (see the module's docstring) and its own copy rate."""
    from raygan import evaluate_generator, load_generator

    generator = load_generator(path)
    record = (evaluate_generator(generator, generator.info, folder, num=FINAL_NUM) if colour
              else evaluate_generator(generator, "fashion_mnist", idx_dir, num=FINAL_NUM))
    own = generator.metadata.get("metrics", {})
    return {**record, "copy_rate": own.get("copy_rate"), "kimg": generator.metadata.get("kimg")}


def compare(args, log=print) -> dict:
    out = output_folder(args.out, "out")
    idx_dir = Path(args.data_dir)
    results = []
    for size in sizes(args.sizes):
        folder = build_folder(idx_dir, size, args.colour, out)
        prepare(FolderSource(folder))  # the folder's evaluator trained once, outside both arms' budgets
        for arm, space in ARMS.items():
            name = f"{folder.name}-{arm}"
            export = out / f"{name}.safetensors"
            seconds, stdout = timed(["raygan.search", *(["--space", space] if space else []), "--data-dir", str(folder),
                                     "--time-budget", typed(args.time_budget), "--storage-path", str(out), "--name",
                                     name, "--export", str(export), "--verbose", "0"], log)
            log(stdout)
            last = last_final_report(out / name)
            first_line = stdout.splitlines()[0] if stdout else ""
            results.append({"size": size, "arm": arm, "space": space or searched_space(first_line), "seconds": seconds,
                            "first_line": first_line,
                            **measure_export(export, folder, idx_dir, args.colour),
                            **{key: last.get(key) for key in ("augment_p", "d_acc_train", "d_acc_heldout")}})
    return {"dataset": "fashion_mnist", "colour": args.colour, "time_budget_s": args.time_budget, "runs": results}


def searched_space(first_line: str) -> str | None:
    """The space a search's first line names (``raygan.search: space small-cdcgan (bundled) ...``)."""
    words = first_line.split()
    return words[words.index("space") + 1] if "space" in words[:3] else None


def format_table(result: dict) -> str:
    kind = "32x32 colour" if result["colour"] else "28x28 grey"
    lines = [f"small {kind} Fashion-MNIST folders, T = {result['time_budget_s'] / 60:g} min per search, "
             f"{FINAL_NUM:,} samples; {describe(result)}"]
    rows = [[f"{run['size']:,}", run["space"], *(run.get(key) for key in SHOWN), run.get("kimg")]
            for run in result["runs"]]
    return "\n".join(lines + markdown_table(["images", "space", *SHOWN, "kimg"], rows))


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: compare(args), format_table, args.json)


if __name__ == "__main__":
    main()

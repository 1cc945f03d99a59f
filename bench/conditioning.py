"""``python -m bench.conditioning``: which way of conditioning a GAN on its labels pays, for the same wall time?

Trains one conditional model per conditioning variant, one after the other, each for the
same wall time on the same data and from the same base recipe (the model's defaults,
:mod:`raygan.recipes`, changed with ``--set``), then measures each last generator the same
way on 10,000 seeded samples, 1,000 per class: FID, intra-class FID, label accuracy (mean and
worst class), precision, recall, and two image statistics relative to the real test images
(1 is real): ``sharpness``, the Laplacian's variance (lower: blurrier), and ``speckle``, the
mean distance of each pixel from its 3x3 median (higher: noisier).  They test the old
observation that the label at the input gives less noisy but blurrier samples than at a
hidden layer.  (On ``cgan``, ``cbn`` also puts a norm on G's first hidden layer, which the
concatenating variants leave without one.)  It writes one per-class sample grid per variant
and prints one markdown table (and a JSON line; ``--json`` appends it).  Nothing else should run on the machine meanwhile.

Example (2 CPU cores: 5 variants x 4 minutes, plus about a minute each to measure)::

    python -m bench.conditioning --data-dir ../shared/data/mnist --time-budget 4m \\
        --out bench/runs/conditioning --grids bench/grids --json bench/conditioning.jsonl
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from bench.record import describe, markdown_table, measure_and_publish
from raygan.atomic import output_folder
from raygan.budget import FINAL_NUM
from raygan.cli import Parser, duration
from raygan.config import GANConfig, parse_overrides
from raygan.recipes import recipe_values

PROG = "bench.conditioning"
# variant: (what it is, its conditioning keys)
VARIANTS = {
    "input": ("label concatenated at the input of G and D", {"cond": "input"}),
    "hidden": ("label concatenated at a hidden layer of G and D", {"cond": "hidden"}),
    "cbn-projection": ("class-conditional batch norm G, projection D", {"g_cond": "cbn", "d_cond": "projection"}),
    "input-ac": ("label at G's input, auxiliary classifier D", {"g_cond": "input", "d_cond": "ac"}),
    "cbn-ac": ("class-conditional batch norm G, auxiliary classifier D", {"g_cond": "cbn", "d_cond": "ac"}),
}
VARIED = {key for _, conditioning in VARIANTS.values() for key in conditioning}  # what --set must leave alone
METRICS = ("fid", "intra_fid", "label_acc", "label_acc_worst", "precision", "recall")
SHOWN = ("seconds", "kimg", *METRICS, "sharpness", "speckle")


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cdcgan", choices=("cgan", "cdcgan"))
    parser.add_argument("--data-dir", required=True, help="folder with the data (MNIST or Fashion-MNIST IDX files)")
    parser.add_argument("--time-budget", type=duration, required=True, help="wall time per variant, e.g. 4m")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"a subset of {','.join(VARIANTS)}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="changes to the model's recipe (its defaults, raygan.recipes) that every variant shares")
    parser.add_argument("--out", required=True, help="folder for the runs")
    parser.add_argument("--grids", default=None, help="folder for one per-class sample grid per variant")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    parser.add_argument("--device", default="cpu")
    return parser


def image_statistics(images: torch.Tensor) -> tuple[float, float]:
    """(Laplacian variance, mean absolute distance from the 3x3 median) of images in [-1, 1], averaged over
    images and channels: the first falls as images blur, the second rises with isolated noisy pixels."""
    flat = images.flatten(0, 1)[:, None]  # every channel as a grey image
    laplacian = F.conv2d(flat, torch.tensor([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]], dtype=flat.dtype), padding=1)
    patches = F.unfold(F.pad(flat, (1, 1, 1, 1), mode="replicate"), 3)  # (N, 9, H*W)
    median = patches.median(1).values.view_as(flat)
    return laplacian.var(dim=(1, 2, 3)).mean().item(), (flat - median).abs().mean().item()


def measure_variant(path: Path, measurer, real_statistics: tuple[float, float]) -> dict:
    from raygan import load_generator

    generator = load_generator(path, device=measurer.device)
    labels = torch.arange(FINAL_NUM, device=measurer.device) % generator.num_classes  # balanced, seeded
    samples = generator.sample(FINAL_NUM, labels=labels, generator=torch.Generator(measurer.device).manual_seed(0))
    record = measurer.measure(samples, labels, METRICS)
    sharpness, speckle = image_statistics(samples.cpu())
    return {**record, "kimg": generator.metadata.get("kimg"), "sharpness": sharpness / real_statistics[0],
            "speckle": speckle / real_statistics[1]}


def write_grid(path: Path, folder: Path, name: str) -> Path:
    from raygan import load_generator
    from raygan.plots import sample_grid, save_labelled_grid

    generator = load_generator(path)
    images, per_row = sample_grid(generator, num=10 * generator.num_classes)
    return save_labelled_grid(images, folder / f"{name}.png", per_row, generator.info.class_names)


def compare(args, log=print) -> dict:
    import raygan
    from raygan.data import load_dataset, open_source
    from raygan.metrics import open_measurer

    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or not names:
        raise raygan.RayganError(f"--variants: unknown {', '.join(unknown) or 'empty list'}; "
                                 f"choose from {', '.join(VARIANTS)}")
    given = parse_overrides(args.set)
    for key in given:
        if key in VARIED:
            raise raygan.RayganError(f"--set: {key} is what the variants set; drop it and choose --variants")
    checked = GANConfig.from_dict({"model": args.model, **given}, "--set").to_dict()  # a bad recipe fails first
    # the model's recipe, less the keys the variants set, and --set's changes: what every variant shares
    recipe = {key: checked[key] for key in {**recipe_values(args.model, given), **given} if key not in VARIED}
    out = output_folder(args.out, "out")
    source = open_source(None, args.data_dir)
    test = load_dataset(source.dataset, args.data_dir, "test")
    measurer = open_measurer(source.dataset, test, args.device)
    real_statistics = image_statistics(test.floats(0, FINAL_NUM))
    rows = {}
    for name in names:
        conditioning = VARIANTS[name][1]
        log(f"{name}: {VARIANTS[name][0]} ({args.time_budget:g} s)")
        started = time.time()
        result = raygan.train(args.model, dataset=source.dataset, data_dir=args.data_dir, time_budget=args.time_budget,
                              config={**recipe, **conditioning}, out=out / name, overwrite=True, final_num=0,
                              device=args.device)
        rows[name] = {"conditioning": conditioning, "seconds": time.time() - started,
                      "load_average": os.getloadavg()[1],  # other work on the machine over the last 5 minutes
                      **measure_variant(result.generator, measurer, real_statistics)}
        if args.grids:
            rows[name]["grid"] = str(write_grid(result.generator, Path(args.grids),
                                                f"{args.model}-{source.dataset}-{name}"))
    return {"model": args.model, "dataset": source.dataset, "time_budget_s": args.time_budget, "device": args.device,
            "recipe": recipe, "num_samples": FINAL_NUM, "variants": rows}


def format_table(result: dict) -> str:
    lines = [f"{result['model']} on {result['dataset']}, {result['time_budget_s'] / 60:g} min per variant "
             f"({result['device']}), {result['num_samples']:,} samples (balanced); {describe(result)}"]
    rows = [[name, *(row.get(key) for key in SHOWN)] for name, row in result["variants"].items()]
    return "\n".join(lines + markdown_table(["variant", *SHOWN], rows))


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: compare(args), format_table, args.json)


if __name__ == "__main__":
    main()

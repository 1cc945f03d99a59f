"""``python -m bench.checkpoint_choice``: how often each rule for a run's best generator picks the truly better one.

A run measures every report on ``quick_num`` (2,000) samples, where FID's standard error is
several points, and the best of many such draws is biased low.  This benchmark trains one run
per ``--seeds`` seed (``--model`` with every default: its recipe, :mod:`raygan.recipes`) and keeps
its weight average at every report from ``--from-kimg`` on.  Each kept generator draws a pool of
``3 x final_num`` samples from one seeded noise, the same for every generator (as a run's reports
draw theirs), and a disjoint ``final_num`` from another noise: the FID of those is the generator's
*truth*.  Each of ``--repeats`` repetitions then draws one random order of the pool, shared by
every generator, and plays a run's measurements: its first ``quick_num`` samples give each report's
quick FID, its first ``final_num`` the re-measurement.  The rules:

- ``quick``: the report with the best quick FID (``best_generator.safetensors`` before issue 23);
- ``smoothed``: the last report of the best mean of three consecutive quick FIDs;
- ``last``: the last generator;
- ``remeasure``: the three best quick FIDs' generators and the last, measured again on ``final_num``
  samples, the best of them (:mod:`raygan.candidates`: what ``train`` and the search's export do).

For each rule: the share of repetitions that picked the truly best generator, the share whose pick
is truly better and truly worse than ``quick``'s, and the mean and worst excess of the pick's truth
over the best truth.  Repetitions share one pool, so they vary the draw, not the pool's own luck.

Example (2 CPU cores, about 5 minutes a seed)::

    python -m bench.checkpoint_choice --data-dir ../shared/data/mnist --seeds 0,1 --json bench/checkpoint_choice.jsonl
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from bench.record import describe, markdown_table, measure_and_publish
from raygan.budget import FINAL_NUM, QUICK_NUM
from raygan.candidates import CANDIDATES
from raygan.cli import Parser, positive_int
from raygan.errors import RayganError
from raygan.metrics.evaluator import embed
from raygan.metrics.fid import frechet_distance, gaussian_stats
from raygan.metrics.measurer import draw

PROG = "bench.checkpoint_choice"
RULES = ("quick", "smoothed", "last", "remeasure")
SMOOTHED = 3  # consecutive reports averaged by the smoothed rule
POOL_SEED, TRUTH_SEED = 0, 1


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="MNIST or Fashion-MNIST IDX files, or an image folder")
    parser.add_argument("--model", default="dcgan", choices=("gan", "dcgan", "cgan", "cdcgan"))
    parser.add_argument("--seeds", default="0", help="one run per seed, comma-separated (default 0)")
    parser.add_argument("--kimg", type=float, default=384.0, help="each run's length (default 384)")
    parser.add_argument("--from-kimg", type=float, default=128.0,
                        help="keep the reports from here on: the late, close ones a choice is about (default 128)")
    parser.add_argument("--report-kimg", type=float, default=8.0, help="kimg between reports (default 8)")
    parser.add_argument("--repeats", type=positive_int, default=200, help="repetitions of the draw (default 200)")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    return parser


def train_snapshots(model: str, data, seed: int, kimg: float, from_kimg: float, report_kimg: float) -> list:
    """(kimg, a copy of the weight average) at every report from ``from_kimg`` on of one run of ``model``'s
    defaults."""
    from raygan.config import GANConfig
    from raygan.trainer import GANTrainer

    trainer = GANTrainer(GANConfig.from_dict({"model": model, "seed": seed}, "bench"), data.train, "cpu")
    kept = []

    def keep(report: dict) -> bool:
        if trainer.images >= from_kimg * 1000:
            kept.append((trainer.images / 1000, copy.deepcopy(trainer.sampling_generator)))
        return False

    trainer.run(round(kimg * 1000), round(report_kimg * 1000), keep)
    return kept


def features(measurer, generator, num: int, seed: int) -> np.ndarray:
    samples, _ = draw(generator, num, seed)
    return embed(measurer.net, samples)[0].double().numpy()


def fid_of(feats: np.ndarray, reference) -> float:
    return frechet_distance(*gaussian_stats(torch.from_numpy(feats)), *reference)


def play(pools: list[np.ndarray], reference, quick_num: int, final_num: int, rng) -> dict:
    """One repetition: each rule's pick (an index into ``pools``) from one shared random order of the pools."""
    order = rng.permutation(pools[0].shape[0])
    quick = np.array([fid_of(pool[order[:quick_num]], reference) for pool in pools])
    smoothed = np.convolve(quick, np.ones(SMOOTHED) / SMOOTHED, mode="valid")
    last = len(pools) - 1
    candidates = sorted(set(np.argsort(quick, kind="stable")[:CANDIDATES].tolist()) | {last})
    again = {i: fid_of(pools[i][order[:final_num]], reference) for i in candidates}
    return {"quick": int(np.argmin(quick)), "smoothed": int(np.argmin(smoothed)) + SMOOTHED - 1, "last": last,
            "remeasure": min(candidates, key=lambda i: (again[i], -i))}


def score(picks: list[dict], truth: np.ndarray) -> dict:
    """Each rule's record over the repetitions' ``picks`` against the generators' ``truth``."""
    best = truth.min()
    rules = {}
    for rule in RULES:
        chosen = np.array([pick[rule] for pick in picks])
        against = np.array([pick["quick"] for pick in picks])
        excess = truth[chosen] - best
        rules[rule] = {"truly_best": float(np.mean(chosen == truth.argmin())),
                       "better_than_quick": float(np.mean(truth[chosen] < truth[against])),
                       "worse_than_quick": float(np.mean(truth[chosen] > truth[against])),
                       "mean_excess": float(excess.mean()), "worst_excess": float(excess.max())}
    return rules


def compare(args, log=print) -> dict:
    from raygan.data.prepare import prepare
    from raygan.data.sources import open_source

    try:
        seeds = [int(part) for part in args.seeds.split(",")]
    except ValueError:
        raise RayganError(f"--seeds must be integers separated by commas, got '{args.seeds}'") from None
    if not 0 <= args.from_kimg < args.kimg:
        raise RayganError(f"--from-kimg ({args.from_kimg:g}) must be at least 0 and below --kimg ({args.kimg:g})")
    data = prepare(open_source(None, args.data_dir))
    measurer = data.measurer
    reference = measurer.real().stats
    runs = []
    for seed in seeds:
        log(f"seed {seed}: training {args.model} for {args.kimg:g} kimg")
        snapshots = train_snapshots(args.model, data, seed, args.kimg, args.from_kimg, args.report_kimg)
        if len(snapshots) < SMOOTHED + 1:
            raise RayganError(f"only {len(snapshots)} reports from --from-kimg on; lower --report-kimg or --from-kimg")
        log(f"seed {seed}: measuring {len(snapshots)} generators")
        with torch.no_grad():
            pools = [features(measurer, g, 3 * FINAL_NUM, POOL_SEED) for _, g in snapshots]
            truth = np.array([fid_of(features(measurer, g, FINAL_NUM, TRUTH_SEED), reference) for _, g in snapshots])
        rng = np.random.default_rng(seed)
        picks = [play(pools, reference, QUICK_NUM, FINAL_NUM, rng) for _ in range(args.repeats)]
        runs.append({"seed": seed, "kimg": [k for k, _ in snapshots], "truth": truth.tolist(),
                     "rules": score(picks, truth)})
    return {"model": args.model, "dataset": data.info.name, "kimg": args.kimg, "from_kimg": args.from_kimg,
            "report_kimg": args.report_kimg, "quick_num": QUICK_NUM, "final_num": FINAL_NUM,
            "repeats": args.repeats, "evaluator": measurer.evaluator.id, "runs": runs}


def format_table(result: dict) -> str:
    lines = [f"{result['model']} on {result['dataset']}, reports every {result['report_kimg']:g} kimg from "
             f"{result['from_kimg']:g} to {result['kimg']:g}, {result['repeats']} draws; {describe(result)}"]
    rows = []
    for run in result["runs"]:
        truth = run["truth"]
        for rule, record in run["rules"].items():
            rows.append([run["seed"], f"{min(truth):.2f} to {max(truth):.2f}", rule, record["truly_best"],
                         record["better_than_quick"], record["worse_than_quick"], record["mean_excess"],
                         record["worst_excess"]])
    return "\n".join(lines + markdown_table(["seed", "truth range", "rule", "truly best", "better than quick",
                                             "worse than quick", "mean excess fid", "worst excess fid"], rows))


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: compare(args), format_table, args.json)


if __name__ == "__main__":
    main()

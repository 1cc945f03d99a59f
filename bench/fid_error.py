"""``python -m bench.fid_error``: how well ``fid_se`` estimates FID's real spread from one sample set.

Stand-ins for a generator's reports: MNIST's 60,000 training digits in a seeded random order
(the file is ordered by writer), each with Gaussian noise of standard deviation ``--noise``,
cut into disjoint sets of ``--num`` (2,000: a report's quick sample count).  The standard
deviation of the FID of those sets against the test split is the truth; beside it, for each
of the first ``--estimates`` sets, raygan's ``fid_se`` (half-sampling, :mod:`raygan.metrics.fid`)
and the bootstrap's (the same number of resamples with replacement), as a share of the truth.

Prints a table and a JSON record (``--json FILE`` appends it), led by the date, CPU, torch
version and commit (:mod:`bench.record`).
"""
from __future__ import annotations

import statistics

import numpy as np
import torch

from bench.record import describe, markdown_table, measure_and_publish
from raygan.cli import Parser, positive_int
from raygan.data import load_dataset
from raygan.metrics import Evaluator
from raygan.metrics.evaluator import embed
from raygan.metrics.fid import HALVES, fid_standard_error, frechet_distance, gaussian_stats

PROG = "bench.fid_error"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with MNIST's four IDX .gz files")
    parser.add_argument("--num", type=positive_int, default=2000, help="samples per set (default 2000)")
    parser.add_argument("--noise", type=float, default=0.3, help="noise added to the digits (default 0.3)")
    parser.add_argument("--estimates", type=positive_int, default=10, help="sets whose error is estimated (10)")
    parser.add_argument("--json", default=None, help="append the record to this JSONL file")
    return parser


def bootstrap_error(features: torch.Tensor, mu, sigma, resamples: int = HALVES, seed: int = 0) -> float:
    """The bootstrap's standard error of the FID: its spread over resamples of the vectors with replacement."""
    rng = np.random.default_rng(seed)
    n = len(features)
    values = [frechet_distance(*gaussian_stats(features[torch.as_tensor(rng.integers(0, n, n))]), mu, sigma)
              for _ in range(resamples)]
    return float(np.std(values, ddof=1))


def measure(args) -> dict:
    net = Evaluator.load("mnist").network()
    reference = gaussian_stats(embed(net, load_dataset("mnist", args.data_dir, "test").floats())[0])
    g = torch.Generator().manual_seed(0)
    train = load_dataset("mnist", args.data_dir, "train").floats()
    train = train[torch.randperm(len(train), generator=g)]
    noised = (train + args.noise * torch.randn(train.shape, generator=g)).clamp(-1, 1)
    features = embed(net, noised)[0]
    sets = list(features.split(args.num))[: len(features) // args.num]
    fids = [frechet_distance(*gaussian_stats(part), *reference) for part in sets]
    truth = float(np.std(fids, ddof=1))
    halves = [fid_standard_error(part, *reference) for part in sets[: args.estimates]]
    boots = [bootstrap_error(part, *reference) for part in sets[: args.estimates]]
    return {"num": args.num, "noise": args.noise, "sets": len(sets), "fid_mean": float(np.mean(fids)),
            "fid_sd": truth, "halves": halves, "bootstrap": boots,
            "halves_median_share": statistics.median(halves) / truth,
            "bootstrap_median_share": statistics.median(boots) / truth}


def table(record: dict) -> str:
    rows = [["fid_se (halves)", statistics.median(record["halves"]), record["halves_median_share"],
             min(record["halves"]), max(record["halves"])],
            ["bootstrap", statistics.median(record["bootstrap"]), record["bootstrap_median_share"],
             min(record["bootstrap"]), max(record["bootstrap"])]]
    return "\n".join([f"{PROG}: {describe(record)}; {record['sets']} sets of {record['num']:,} noised MNIST digits, "
                      f"fid {record['fid_mean']:.1f} on average, its standard deviation {record['fid_sd']:.2f}",
                      *markdown_table(["estimate", "median", "share of the real spread", "lowest", "highest"], rows)])


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: measure(args), table, args.json)


if __name__ == "__main__":
    main()

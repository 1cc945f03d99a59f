"""A trial worker's memory across many trials: does a long search leak?

    python -m bench.trial_memory --data-dir ../shared/data/mnist [--trials 30] [--search 8]

Each trial receives its own copy of the prepared data from Ray's object store: both splits
and the measurer (evaluator weights and the test split's features).  A worker that Ray
reuses for trial after trial (``reuse_actors``, PBT) therefore deserialises a new copy per
trial.  Part one replays that in this process: ``--trials`` times, a fresh deserialised
measurer and one report's quick metrics, printing the resident memory after each.  Part two
(``--search N``) runs a real search of N short trials one at a time and prints each
trial's worker pid and its resident memory at its last report.
"""
from __future__ import annotations

import json
import pickle
import tempfile
from pathlib import Path

import numpy as np

from bench.record import describe, provenance
from raygan.cli import Parser, non_negative_int, positive_int, user_errors
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.metrics import QUICK_METRICS, Evaluator, Measurer
from raygan.models import build_generator
from raygan.tuning.trainable import resident_mb

PROG = "bench.trial_memory"
SPACE = {
    "model": "gan",
    "budget": {"max_kimg": 2.56, "report_kimg": 1.28, "quick_num": 500, "final_num": 500},
    "search": {"grace_kimg": 2.56},
    "collapse": {"patience": 100},
    "fixed": {"g_hidden": [64, 128], "d_hidden": [128, 64]},
    "params": {"lr_g": {"dist": "loguniform", "low": 1.0e-4, "high": 1.0e-3}},
}


def replay_trials(data_dir, trials: int) -> list[float]:
    """Resident MiB after each of ``trials`` simulated trials, each with its own deserialised measurer."""
    measurer = Measurer(Evaluator.load("mnist"), load_dataset("mnist", data_dir, "test"))
    measurer.real()
    shipped = pickle.dumps(measurer)  # what the object store holds
    generator = build_generator(GANConfig(g_hidden=(64, 128)))
    memory = []
    for _ in range(trials):
        arrived = pickle.loads(shipped)  # each trial deserialises its own copy
        arrived.measure_generator(generator, num=500, metrics=QUICK_METRICS)
        del arrived
        memory.append(resident_mb())
    return memory


def slope(values: list[float]) -> float:
    """MiB per trial, least squares over all but the first two trials (which warm the caches)."""
    return float(np.polyfit(np.arange(len(values) - 2), values[2:], 1)[0])


def real_search(data_dir, trials: int) -> None:
    from raygan.data import open_source
    from raygan.space import parse_space
    from raygan.tuning import SearchOptions, run_search

    with tempfile.TemporaryDirectory() as storage:
        run_search(parse_space(SPACE, "bench"), open_source("mnist", data_dir),
                   SearchOptions(num_samples=trials, max_concurrent=1, storage_path=storage, name="memory", verbose=0))
        results = sorted(Path(storage, "memory").glob("train_gan_*/result.json"),
                         key=lambda p: int(p.parent.name.split("_")[3]))
        rows = [json.loads(path.read_text().splitlines()[-1]) for path in results]
    print("| trial | worker pid | resident MiB at its last report |\n| --- | --- | --- |")
    for index, row in enumerate(rows, 1):
        print(f"| {index} | {row['pid']} | {row['memory_mb']:.0f} |")


def main(argv=None) -> None:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--trials", type=positive_int, default=30, help="simulated trials (default 30, at least 5)")
    parser.add_argument("--search", type=non_negative_int, default=0, help="also run a real search of this many trials")
    args = parser.parse_args(argv)
    with user_errors(PROG):
        if args.trials < 5:
            raise RayganError(f"--trials must be at least 5 (the first two warm the caches), got {args.trials}")
        print(describe(provenance()))
        values = replay_trials(args.data_dir, args.trials)
        print(f"| after trial 1 | after trial {args.trials} | MiB per trial |\n| --- | --- | --- |")
        print(f"| {values[0]:.0f} | {values[-1]:.0f} | {slope(values):+.2f} |")
        if args.search:
            real_search(args.data_dir, args.search)


if __name__ == "__main__":
    main()

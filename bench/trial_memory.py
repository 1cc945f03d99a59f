"""A trial worker's memory across many trials: does a long search leak?

    python -m bench.trial_memory --data-dir ../shared/data/mnist [--trials 30] [--search 8]

Each trial receives its own copy of the test split from Ray's object store, and the
quick metrics cache the evaluator's view of it (:mod:`raygan.metrics.references`).  A
worker that Ray reuses for trial after trial (``reuse_actors``, PBT) therefore sees a new
split per trial.  Part one replays that in this process: ``--trials`` times, a fresh
deserialised copy of the test split and one report's quick metrics, with the cache as
shipped (bounded) and unbounded, printing the resident memory after each.  Part two
(``--search N``) runs a real search of N short trials one at a time and prints each
trial's worker pid and its resident memory at its last report.
"""
from __future__ import annotations

import json
import pickle
import tempfile
from pathlib import Path

import numpy as np

from raygan import metrics
from raygan.cli import Parser, non_negative_int, positive_int, user_errors
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.metrics import references
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


def replay_trials(data_dir, trials: int, cache_size: int) -> list[float]:
    """Resident MiB after each of ``trials`` simulated trials with an in-memory cache of ``cache_size`` splits."""
    references.IN_MEMORY_SPLITS = cache_size
    references._IN_MEMORY.clear()
    shipped = pickle.dumps(load_dataset("mnist", data_dir, "test"))  # what the object store holds
    generator = build_generator(GANConfig(g_hidden=(64, 128)))
    memory = []
    for _ in range(trials):
        test_split = pickle.loads(shipped)  # each trial deserialises its own copy
        metrics.evaluate_generator(generator, "mnist", test_split, num=500, metrics=metrics.QUICK_METRICS)
        del test_split
        memory.append(resident_mb())
    references._IN_MEMORY.clear()
    return memory


def slope(values: list[float]) -> float:
    """MiB per trial, least squares over all but the first two trials (which warm the caches)."""
    return float(np.polyfit(np.arange(len(values) - 2), values[2:], 1)[0])


def real_search(data_dir, trials: int) -> None:
    from raygan.space import parse_space
    from raygan.tuning import SearchOptions, run_search

    with tempfile.TemporaryDirectory() as storage:
        run_search(parse_space(SPACE, "bench"), data_dir,
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
        shipped = references.IN_MEMORY_SPLITS
        bounded = replay_trials(args.data_dir, args.trials, shipped)
        unbounded = replay_trials(args.data_dir, args.trials, 10**9)
        print(f"| cache | after trial 1 | after trial {args.trials} | MiB per trial |\n| --- | --- | --- | --- |")
        for name, values in ((f"bounded ({shipped} splits, shipped)", bounded), ("unbounded", unbounded)):
            print(f"| {name} | {values[0]:.0f} | {values[-1]:.0f} | {slope(values):+.2f} |")
        if args.search:
            real_search(args.data_dir, args.search)


if __name__ == "__main__":
    main()

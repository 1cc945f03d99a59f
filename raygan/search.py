"""``python -m raygan.search``: tune a GAN's hyper-parameters with Ray Tune (Optuna + ASHA, PBT or PB2).

Example::

    python -m raygan.search --space search_spaces/dcgan.yaml --time-budget 15m \\
        --data-dir ../shared/data/mnist --export best_generator.safetensors

``--time-budget`` bounds the whole search's wall time: the trials get the space's
``1 - final_share`` of it and the best trial's final run the rest (see
:mod:`raygan.tuning.driver`); without it, ``--num-samples`` trials run (8 by default).

Runs on a new embedded local Ray by default, or joins a running cluster (``--address auto``).
The driver loads the dataset once; trials get it through Ray's object store.  At the end it
prints a summary table and writes, in the experiment directory, ``summary.jsonl``,
``<metric>_by_trial.png``, ``best_curves.png`` and ``best_samples.png``; ``--export``
writes the best trial's best checkpoint as a generator file, measured on the space's
``final_num`` samples.
"""
from __future__ import annotations

import sys
import time

from raygan.atomic import check_writable
from raygan.cli import (Parser, duration, non_negative_float, non_negative_int, positive_float, positive_int, seed_int,
                        user_errors)
from raygan.errors import RayganError

PROG = "raygan.search"
DEFAULT_TRIALS = 8


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--space", required=True, help="search-space YAML file (see search_spaces/)")
    parser.add_argument("--data-dir", required=True, help="folder with the dataset's four IDX .gz files")
    parser.add_argument("--download", action="store_true", help="download the dataset into --data-dir if missing")
    parser.add_argument("--num-samples", type=positive_int, default=None,
                        help="trials to run (default 8; with --time-budget, as many as it allows; under "
                             "PBT/PB2, as many as run at once)")
    parser.add_argument("--time-budget", type=duration, default=None,
                        help="the whole search's wall time, e.g. 15m, 2h or 900 (seconds)")
    parser.add_argument("--max-concurrent", type=positive_int, default=None,
                        help="trials at once (default: as many as the cluster's resources fit)")
    parser.add_argument("--cpus-per-trial", type=positive_float, default=1.0, help="default 1")
    parser.add_argument("--gpus-per-trial", type=non_negative_float, default=None,
                        help="GPU share per trial (default 0.5 when the cluster has GPUs, else 0)")
    parser.add_argument("--address", default=None,
                        help="join a running Ray cluster ('auto' or HOST:PORT; default: a new local Ray)")
    parser.add_argument("--storage-path", default="runs",
                        help="where experiments live: a folder or s3://bucket/path (default ./runs)")
    parser.add_argument("--name", default=None, help="experiment name (default MODEL-DATASET-TIME)")
    parser.add_argument("--resume", action="store_true", help="continue the experiment --name under --storage-path")
    parser.add_argument("--export", default=None, help="write the best generator to this .safetensors file")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the Optuna sampler (default 0)")
    parser.add_argument("--study-db", default=None,
                        help="also keep the Optuna study in this database, e.g. sqlite:///study.db "
                             "(inspect it with optuna-dashboard)")
    parser.add_argument("--max-failures", type=non_negative_int, default=2,
                        help="restarts of a failed trial (default 2)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Ray's progress output")
    return parser


def check_study_db(url: str) -> None:
    """A database URL Optuna can open, and for SQLite a file it can create; fails before Ray starts."""
    if "://" not in url:
        raise RayganError(f"--study-db {url} is not a database URL; use e.g. sqlite:///study.db")
    if url.startswith("sqlite:///"):
        check_writable(url.removeprefix("sqlite:///"))


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        from raygan.cli import output_folder
        from raygan.data import find_files
        from raygan.space import load_space

        space = load_space(args.space)  # every mistake in the file surfaces before Ray starts
        if args.resume and not args.name:
            raise RayganError("--resume needs --name NAME of the experiment to continue")
        if args.resume and args.time_budget:
            raise RayganError("--time-budget cannot carry over to --resume (its clock started with the first run); "
                              "resume without it: trials finish their max_kimg and the final run trains to "
                              "final_kimg")
        find_files(space.dataset, args.data_dir, args.download)
        if "://" not in args.storage_path:
            output_folder(args.storage_path, "--storage-path")
        if args.export:
            check_writable(args.export)
        if args.study_db:
            check_study_db(args.study_db)
        name = args.name or f"{space.model}-{space.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
        from raygan.tuning import SearchOptions, run_search
        from raygan.tuning.tuner import check_scheduler_options

        # None: a population as large as what runs at once (PBT, PB2), or as many as the time allows
        unbounded = args.time_budget or space.scheduler != "asha"
        num_samples = args.num_samples or (None if unbounded else DEFAULT_TRIALS)
        options = SearchOptions(num_samples=num_samples, time_budget_s=args.time_budget,
                                max_concurrent=args.max_concurrent,
                                cpus_per_trial=args.cpus_per_trial, gpus_per_trial=args.gpus_per_trial,
                                address=args.address, storage_path=args.storage_path, name=name,
                                resume=args.resume, seed=args.seed, study_db=args.study_db,
                                max_failures=args.max_failures, verbose=args.verbose)
        check_scheduler_options(space, options)
        outcome = run_search(space, args.data_dir, options, export=args.export, download=args.download)
        print(outcome.table())
        print("\n".join(outcome.budget_lines()))
        print(f"experiment: {outcome.experiment_dir}")
        if outcome.export_error:
            raise RayganError(outcome.export_error)
        if args.export:
            record = outcome.export_metrics or {}
            measured = (f"; {space.metric} {record[space.metric]:.4g} on {record['num_samples']} samples "
                        f"({record['evaluator']})" if space.metric in record else "")
            print(f"best generator: {args.export} (trial {outcome.best_trial}, {space.metric} "
                  f"{outcome.best_value:.4g} at {outcome.best_kimg:g} kimg on {space.budget.quick_num} samples"
                  f"{measured})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

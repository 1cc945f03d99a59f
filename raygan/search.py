"""``python -m raygan.search``: tune a GAN's hyper-parameters with Ray Tune (Optuna + ASHA, PBT or PB2).

Example::

    python -m raygan.search                    # dcgan on MNIST for 15 minutes, data in the default place
    python -m raygan.search --space gan --time-budget 2h --data-dir ../shared/data/mnist \\
        --export best_generator.safetensors
    python -m raygan.search --list-spaces      # the bundled spaces

``--space`` takes a bundled space's name or a YAML file.  Without ``--data-dir`` the data is
read from ``$RAYGAN_DATA/<dataset>`` or the per-user data folder, downloaded there when online.

``--time-budget`` bounds the whole search's wall time: the trials get the space's
``1 - final_share`` of it and the best trial's final run the rest (see
:mod:`raygan.tuning.driver`); with ``--num-samples N`` and no time budget, N trials run.
With neither, the budget is 15 minutes.

Runs on a new embedded local Ray by default, or joins a running cluster (``--address auto``).
The driver loads the dataset once; trials get it through Ray's object store.  At the end it
prints a summary table and writes, in the experiment directory (``./runs/NAME`` when
``--storage-path`` is ``s3://...``, then copied into the bucket), ``summary.jsonl``,
``<metric>_by_trial.png``, ``best_curves.png`` and ``best_samples.png``; ``--export``
writes the best trial's best checkpoint as a generator file, measured on the space's
``final_num`` samples.
"""
from __future__ import annotations

import shlex
import sys
import time

from raygan.atomic import check_writable
from raygan.cli import (Parser, duration, non_negative_float, non_negative_int, positive_float, positive_int, seed_int,
                        user_errors)
from raygan.data import DATA_ENV
from raygan.errors import RayganError
from raygan.tables import text_table

PROG = "raygan.search"
FLAGS = {"data_dir": "--data-dir", "download": "--download", "storage_path": "--storage-path", "address": "--address",
         "name": "--name", "resume": "--resume", "study_db": "--study-db", "mlflow_uri": "--mlflow-uri",
         "export": "--export", "cluster_config": "--cluster-config"}
DEFAULT_SPACE = "dcgan"
DEFAULT_TIME_BUDGET_S = 900.0  # with neither --time-budget nor --num-samples


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--space", default=DEFAULT_SPACE,
                        help=f"a bundled space's name (see --list-spaces) or a YAML file (default {DEFAULT_SPACE})")
    parser.add_argument("--list-spaces", action="store_true", help="list the bundled spaces and exit")
    parser.add_argument("--data-dir", default=None,
                        help=f"folder with the dataset's four IDX .gz files, or a folder of PNG/JPEG images (class "
                             "subfolders for labels; the space's model then trains on them) (default: the space's "
                             f"dataset: ${DATA_ENV}/DATASET or the per-user data folder, downloaded there when online)")
    parser.add_argument("--download", action="store_true", help="download the dataset into --data-dir if missing")
    parser.add_argument("--num-samples", type=positive_int, default=None,
                        help="trials to run (default: as many as the time budget allows; under PBT/PB2, as "
                             "many as run at once)")
    parser.add_argument("--time-budget", type=duration, default=None,
                        help="the whole search's wall time, e.g. 15m, 2h or 900 (seconds); default 15m "
                             "unless --num-samples is given")
    parser.add_argument("--max-concurrent", type=positive_int, default=None,
                        help="trials at once (default: as many as the cluster's resources fit)")
    parser.add_argument("--cpus-per-trial", type=positive_float, default=1.0, help="default 1")
    parser.add_argument("--gpus-per-trial", type=non_negative_float, default=None,
                        help="GPU share per trial (default 0.5 when the cluster has GPUs, else 0)")
    parser.add_argument("--address", default=None,
                        help="join a running Ray cluster ('auto' or HOST:PORT; default: $RAY_ADDRESS when set, as "
                             "in a Ray job, else a new local Ray)")
    parser.add_argument("--cluster-config", default=None,
                        help="the autoscaling cluster's config (the YAML file 'ray up' was given), which the default "
                             "resources and concurrency come from (default: $RAYGAN_CLUSTER_CONFIG, else on the head "
                             "the config 'ray up' put there or the one its autoscaler runs with)")
    parser.add_argument("--storage-path", default="runs",
                        help="where experiments live: a folder or s3://bucket/path (default ./runs); with s3:// "
                             "the summary, plots and report.html go to ./runs/NAME and are copied into the bucket")
    parser.add_argument("--name", default=None, help="experiment name (default MODEL-DATASET-TIME)")
    parser.add_argument("--resume", action="store_true", help="continue the experiment --name under --storage-path")
    parser.add_argument("--export", default=None, help="write the best generator to this .safetensors file")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the Optuna sampler (default 0)")
    parser.add_argument("--study-db", default=None,
                        help="also keep the Optuna study in this database, e.g. sqlite:///study.db "
                             "(inspect it with optuna-dashboard)")
    parser.add_argument("--mlflow-uri", default=None,
                        help="also log every trial (and the export) to MLflow, e.g. file:./mlruns "
                             "(pip install 'raygan[mlflow]')")
    parser.add_argument("--max-failures", type=non_negative_int, default=2,
                        help="restarts of a failed trial (default 2)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="0: no progress table; 1: raygan's (trial, status, kimg, metric, best, D accuracy, "
                             "classes; the default); 2: Ray's own output in full, with its workers' log lines")
    return parser


def check_study_db(url: str) -> None:
    """A database URL Optuna can open, and for SQLite a file it can create; fails before Ray starts."""
    if "://" not in url:
        raise RayganError(f"--study-db {url} is not a database URL; use e.g. sqlite:///study.db")
    if url.startswith("sqlite:///"):
        check_writable(url.removeprefix("sqlite:///"))


def list_spaces() -> str:
    """One line per bundled space: name, model and dataset, scheduler, description."""
    from raygan.space import bundled_spaces, describe, load_space

    lines = []
    for name, entry in bundled_spaces().items():
        space = load_space(name)
        lines.append([name, f"{space.model} on {space.dataset}", space.scheduler, describe(entry)])
    return text_table(lines)


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG, FLAGS, argv):
        from raygan.atomic import output_folder
        from raygan.data import FOLDER, detect_dataset, open_source
        from raygan.space import load_space
        from raygan.tuning.autoscaler import explicit_config
        from raygan.tuning.location import is_remote

        if args.list_spaces:
            print(list_spaces())
            return
        space = load_space(args.space)  # every mistake in the file surfaces before Ray starts
        if args.resume and not args.name:
            raise RayganError("--resume needs --name NAME of the experiment to continue")
        if args.resume and args.time_budget:
            raise RayganError("--time-budget cannot carry over to --resume (its clock started with the first run); "
                              "resume without it: trials finish their max_kimg and the final run trains to "
                              "final_kimg")
        if args.data_dir is not None and detect_dataset(args.data_dir) == FOLDER:
            space = space.with_folder(args.data_dir)  # a folder of images: the space's model on the user's images
        source = open_source(space.dataset, args.data_dir or space.data_dir, args.download, space.image_size,
                             space.channels)
        if not is_remote(args.storage_path):
            output_folder(args.storage_path, "storage_path")
        if args.export:
            check_writable(args.export)
        if args.study_db:
            check_study_db(args.study_db)
        explicit_config(args.cluster_config)  # a file named but missing or malformed: before Ray starts
        if args.mlflow_uri:
            from raygan.tuning.mlflow_log import prepare_mlflow

            prepare_mlflow(args.mlflow_uri)
        name = args.name or f"{space.model}-{source.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        from raygan.layout import REPORT_FILE
        from raygan.tuning import SearchOptions, run_search
        from raygan.tuning.location import report_dir
        from raygan.tuning.tuner import check_scheduler_options

        time_budget = args.time_budget
        if time_budget is None and args.num_samples is None and not args.resume:
            time_budget = DEFAULT_TIME_BUDGET_S
        length = (f"time budget {time_budget / 60:g} min" if time_budget else
                  f"{args.num_samples} trials" if args.num_samples else "resumed")
        print(f"{PROG}: space {space.source} ({space.model} on {source.name}, {space.scheduler}), "
              f"data {source.folder}, {length}, experiment {args.storage_path.rstrip('/')}/{name}", flush=True)
        # num_samples None: a population as large as what runs at once (PBT, PB2), or as many as the time allows
        options = SearchOptions(num_samples=args.num_samples, time_budget_s=time_budget,
                                max_concurrent=args.max_concurrent,
                                cpus_per_trial=args.cpus_per_trial, gpus_per_trial=args.gpus_per_trial,
                                address=args.address, storage_path=args.storage_path, name=name,
                                resume=args.resume, seed=args.seed, study_db=args.study_db,
                                max_failures=args.max_failures, verbose=args.verbose, mlflow_uri=args.mlflow_uri,
                                cluster_config=args.cluster_config,
                                command=shlex.join(["python", "-m", PROG, *(sys.argv[1:] if argv is None else argv)]))
        check_scheduler_options(space, options)
        outcome = run_search(space, source, options, export=args.export)
        print(outcome.table())
        print("\n".join(outcome.budget_lines()))
        print(f"resources: {outcome.resources}")
        print(f"experiment: {outcome.experiment_dir}")
        print(f"report: {report_dir(options) / REPORT_FILE}")
        if outcome.export_error:
            raise RayganError(outcome.export_error, ("resume", "name", "export"))
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

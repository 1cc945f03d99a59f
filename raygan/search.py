"""``python -m raygan.search``: tune a GAN's hyper-parameters with Ray Tune (Optuna + ASHA, PBT or PB2).

Example::

    python -m raygan.search                    # dcgan on MNIST for 15 minutes, data in the default place
    python -m raygan.search --space gan --time-budget 2h --data-dir ../shared/data/mnist \\
        --export best_generator.safetensors
    python -m raygan.search --list-spaces      # the bundled spaces

``--space`` takes a bundled space's name or a YAML file; without it an image folder of under
10,000 training images is searched with ``small-cdcgan`` (class subfolders: a conditional DCGAN)
or ``small`` (augmentation, R1 and LeCam searched in both), anything else with ``dcgan``, and
the first line says which.  Without ``--data-dir`` the data is
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

from raygan.cli import (Parser, callable_as, duration, non_negative_float, non_negative_int, positive_float,
                        positive_int, seed_int, user_errors)
from raygan.data import DATA_ENV, DATASETS
from raygan.errors import RayganError
from raygan.search_api import VERBOSITY, search
from raygan.space.default import DEFAULT_SPACE, SMALL_FOLDER_IMAGES, SMALL_LABELLED_SPACE, SMALL_SPACE
from raygan.tables import text_table

PROG = "raygan.search"
FLAGS = {"data_dir": "--data-dir", "dataset": "--dataset", "download": "--download", "storage_path": "--storage-path", "address": "--address",
         "name": "--name", "resume": "--resume", "study_db": "--study-db", "mlflow_uri": "--mlflow-uri",
         "export": "--export", "cluster_config": "--cluster-config", "time_budget": "--time-budget",
         "num_samples": "--num-samples", "max_concurrent": "--max-concurrent", "cpus_per_trial": "--cpus-per-trial",
         "gpus_per_trial": "--gpus-per-trial", "seed": "--seed", "max_failures": "--max-failures",
         "verbose": "--verbose"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--space", default=None,
                        help=f"a bundled space's name (see --list-spaces) or a YAML file (default {DEFAULT_SPACE}; for "
                             f"an image folder of under {SMALL_FOLDER_IMAGES:,} training images {SMALL_LABELLED_SPACE} "
                             f"with class subfolders, else {SMALL_SPACE}: augmentation, R1 and LeCam searched)")
    parser.add_argument("--list-spaces", action="store_true", help="list the bundled spaces and exit")
    parser.add_argument("--data-dir", default=None,
                        help=f"folder with the dataset's four IDX .gz files, or a folder of PNG/JPEG images (class "
                             "subfolders for labels; the space's model then trains on them) (default: the space's "
                             f"dataset: ${DATA_ENV}/DATASET or the per-user data folder, downloaded there when online)")
    parser.add_argument("--dataset", default=None,
                        help=f"one of {', '.join(DATASETS)}, instead of the space's (default: what --data-dir holds, "
                             "IDX files told apart by their content, else the space's dataset)")
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
    parser.add_argument("--verbose", type=int, default=1, choices=VERBOSITY,
                        help="0: no progress table; 1: raygan's (trial, status, kimg, metric, best, D accuracy, "
                             "classes; the default); 2: Ray's own output in full, with its workers' log lines")
    return parser


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
        if args.list_spaces:
            print(list_spaces())
            return
        command = shlex.join(["python", "-m", PROG, *(sys.argv[1:] if argv is None else argv)])
        result = search(args.space, args.data_dir, dataset=args.dataset, time_budget=args.time_budget, num_samples=args.num_samples,
                        max_concurrent=args.max_concurrent, cpus_per_trial=args.cpus_per_trial,
                        gpus_per_trial=args.gpus_per_trial, address=args.address, storage_path=args.storage_path,
                        name=args.name, resume=args.resume, export=args.export, seed=args.seed,
                        study_db=args.study_db, mlflow_uri=args.mlflow_uri, cluster_config=args.cluster_config,
                        max_failures=args.max_failures, download=args.download, verbose=args.verbose,
                        command=command)
        print(result.summary())
        if result.export_error:
            raise RayganError(result.export_error, ("resume", "name", "export"))
        sys.stdout.flush()


callable_as(__name__, search)  # raygan.search(...) searches, also where this module shadows the function

if __name__ == "__main__":
    main()

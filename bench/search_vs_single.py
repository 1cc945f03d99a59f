"""``python -m bench.search_vs_single``: does a search pay for itself against one untuned run?

For one model and a wall-time budget ``T`` on the machine at hand, runs, one after the other:

(a) the default search, ``python -m raygan.search --space search_spaces/MODEL.yaml
    --time-budget T --export ...``;
(b) one run of the same wall time, ``python -m raygan.train --model MODEL --time-budget T``
    (a length it cannot reach in ``T``): with every default (``--single defaults``), or with
    the space's fixed values and its first ``start_with`` point, the best single recipe the
    space knows (``--single start``: does the search beat the recipe it starts from?);

then measures both exported generators the same way (every metric on 10,000 seeded
samples with raygan's evaluator; for the single run, its last generator and, in the record
and the table's last line, its ``best_generator.safetensors``, the best of its re-measured
candidates: on a small folder the two differed by half, 11.4 against 5.7) and prints them
side by side with the search's budget breakdown.  ``--json``
appends the result as one JSON line.  Nothing else should run on the machine meanwhile:
both arms are timed by the wall clock.

Example (2 CPU cores: 2 x 15 minutes)::

    python -m bench.search_vs_single --model dcgan --time-budget 15m \\
        --data-dir ../shared/data/mnist --out bench/runs/dcgan-15m --json bench/search_vs_single.jsonl
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.record import cell, describe, measure_and_publish
from raygan.atomic import output_folder
from raygan.budget import FINAL_NUM
from raygan.cli import Parser, duration
from raygan.errors import RayganError
from raygan.layout import BEST_GENERATOR
from raygan.models import MODELS

PROG = "bench.search_vs_single"
SPACES = Path(__file__).resolve().parents[1] / "search_spaces"
SINGLE = ("defaults", "start")
SINGLE_NAMES = {"defaults": "every default", "start": "the space's start_with recipe"}
SHOWN = ("fid", "kid", "inception_score", "classes_covered", "precision", "recall", "fid_raw")


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gan", choices=MODELS)
    parser.add_argument("--time-budget", type=duration, required=True, help="T for each arm, e.g. 15m")
    parser.add_argument("--data-dir", required=True, help="MNIST or Fashion-MNIST IDX files, or an image folder "
                        "(its evaluator is trained first, outside both arms' budgets)")
    parser.add_argument("--space", default=None, help="search space (default search_spaces/MODEL.yaml)")
    parser.add_argument("--out", required=True, help="folder for both arms' runs")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    parser.add_argument("--device", default="auto", help="for the single run and the evaluation (default auto)")
    parser.add_argument("--search-export", default=None, metavar="FILE",
                        help="export the search arm here, running exactly the user's command (python -m "
                             "raygan.search --space MODEL --time-budget T --data-dir D --export FILE, its experiment "
                             "under ./runs), so that one run also checks that command (default OUT/search.safetensors, "
                             "experiment in OUT)")
    parser.add_argument("--single", default="defaults", choices=SINGLE,
                        help="the single run's recipe: train's defaults, or the space's fixed values and first "
                             "start_with point (default defaults)")
    return parser


def single_recipe(space, single: str) -> dict:
    """The config the single run sets (``--set``): nothing for ``defaults``; for ``start`` the space's
    fixed values and its first ``start_with`` point."""
    if single == "defaults":
        return {}
    if not space.start_with:
        raise RayganError(f"--single start needs a space with start_with; {space.source} has none")
    return {**space.fixed, **space.start_with[0]}


def timed(command: list[str], log) -> tuple[float, str]:
    """Run a raygan CLI; its wall time and its stdout (its stderr passes through)."""
    log("$ " + " ".join(command))
    started = time.time()
    done = subprocess.run([sys.executable, "-m", *command], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RayganError(f"'{' '.join(command[:2])}' failed with exit code {done.returncode}; see its output above")
    return time.time() - started, done.stdout


def measure(path: Path, dataset: str, data_dir, device) -> dict:
    """Every metric of the generator file at ``path`` on FINAL_NUM seeded samples."""
    from raygan import evaluate_generator, load_generator
    from raygan.data.info import FOLDER

    generator = load_generator(path, device=device)
    # an image folder's shape and classes are the generator's (its data info); a named dataset's are known
    record = evaluate_generator(generator, generator.info if dataset == FOLDER else dataset, data_dir, num=FINAL_NUM)
    if "fid_raw" in generator.metadata.get("metrics", {}):
        record["fid_raw"] = generator.metadata["metrics"]["fid_raw"]
    return {**record, "kimg": generator.metadata.get("kimg"), "steps": generator.metadata.get("steps")}


def typed(seconds: float) -> str:
    """A time budget as a user types it: ``15m``, else seconds."""
    return f"{seconds / 60:g}m" if seconds % 60 == 0 else f"{seconds:g}"


def search_command(args, space_file: str, out: Path) -> list[str]:
    """The search arm: the user's own command with ``--search-export``, else one that keeps its runs in ``out``."""
    budget = typed(args.time_budget)
    if args.search_export:
        return ["raygan.search", "--space", args.space or args.model, "--time-budget", budget,
                "--data-dir", args.data_dir, "--export", args.search_export]
    return ["raygan.search", "--space", space_file, "--time-budget", budget, "--data-dir", args.data_dir,
            "--storage-path", str(out), "--name", "search", "--export", str(out / "search.safetensors"),
            "--verbose", "0"]


def compare(args, log=print) -> dict:
    from raygan.data import resolve_dataset
    from raygan.data.info import FOLDER
    from raygan.data.prepare import prepare
    from raygan.data.sources import FolderSource
    from raygan.devices import pick_device
    from raygan.space import load_space

    out = output_folder(args.out, "out")
    space_file = args.space or str(SPACES / f"{args.model}.yaml")
    space = load_space(space_file)
    dataset = resolve_dataset(space.dataset, args.data_dir)  # Fashion-MNIST files make a Fashion-MNIST run
    device = pick_device(args.device)
    recipe = single_recipe(space, args.single)
    if dataset == FOLDER:  # the folder's evaluator is trained once, outside both arms' budgets
        prepare(FolderSource(Path(args.data_dir)))
    search = search_command(args, space_file, out)
    search_seconds, search_out = timed(search, log)
    log(search_out)
    single_seconds, _ = timed(
        ["raygan.train", "--model", space.model, "--dataset", dataset, "--data-dir", args.data_dir,
         "--time-budget", typed(args.time_budget), "--out", str(out / "single"), "--device", args.device,
         *(flag for key, value in recipe.items() for flag in ("--set", f"{key}={value}"))], log)
    breakdown = [line for line in search_out.splitlines() if line.startswith(("search: ", "final run: "))]
    return {"model": space.model, "dataset": dataset, "time_budget_s": args.time_budget,
            "space": Path(space_file).name, "device": device.type,
            "search": {"seconds": search_seconds, "budget": breakdown,
                       "command": "python -m " + " ".join(search),
                       **measure(Path(search[search.index("--export") + 1]), dataset, args.data_dir, device)},
            "single": {"seconds": single_seconds, "recipe": args.single, "config": recipe,
                       **measure(out / "single" / "generator.safetensors", dataset, args.data_dir, device),
                       "best_generator": measure(out / "single" / BEST_GENERATOR, dataset, args.data_dir, device)}}


def format_table(result: dict) -> str:
    search, single = result["search"], result["single"]
    single_name = SINGLE_NAMES[single.get("recipe", "defaults")]  # records before --single ran the defaults
    lines = [f"{result['model']} on {result['dataset']}, T = {result['time_budget_s'] / 60:g} min "
             f"({result['device']}), {FINAL_NUM:,} samples, evaluator {search['evaluator']}; {describe(result)}",
             f"| | search (exported) | one run ({single_name}) | search / single |", "| --- | --- | --- | --- |"]
    for key in ("seconds", "kimg", *SHOWN):
        if key in search or key in single:
            a, b = search.get(key), single.get(key)
            ratio = f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else ""
            lines.append(f"| {key} | {cell(a)} | {cell(b)} | {ratio} |")
    best = single.get("best_generator")  # records before it was measured have none
    if best:
        name = f"fid of the single run's best_generator ({cell(best.get('kimg'))} kimg)"
        lines.append(f"| {name} | | {cell(best['fid'])} | {search['fid'] / best['fid']:.2f} |")
    return "\n".join(lines + [f"- {line}" for line in search["budget"]])


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: compare(args), format_table, args.json)


if __name__ == "__main__":
    main()

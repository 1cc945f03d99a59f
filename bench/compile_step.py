"""``python -m bench.compile_step``: the compiled training step against the eager one, compile time counted.

For each model, with its recipe (the defaults ``train`` uses) on real MNIST, in one process
on one device: the eager step's time, the compiled trainer's first step (which compiles G's
forward and D's ``judge``), a second compiled trainer's first step (what the next trial a Ray
worker runs pays: Dynamo's cache), the compiled step's time, the losses both report over
the same steps, and the break-even.  The two steps are timed in alternating rounds (eager,
compiled, eager, ...; the median of each's per-round times), so that a machine whose speed
drifts (shared cores) does not favour one side; the break-even is how many steps the compiled step must save its compile
time back over.  A 15-minute CPU run of the DCGAN takes some 40,000 steps; ``compile: auto``
(:mod:`raygan.compiled`) should compile only where the break-even lies well inside a run.

Prints a table and a JSON record (``--json FILE`` appends it), led by the date, CPU, torch
version and commit (:mod:`bench.record`).
"""
from __future__ import annotations

import statistics
import time

import torch

from bench.record import cell, describe, markdown_table, measure_and_publish
from raygan.cli import Parser, positive_int
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.devices import pick_device
from raygan.models import MODELS
from raygan.trainer import GANTrainer

PROG = "bench.compile_step"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with MNIST's four IDX .gz files")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--steps", type=positive_int, default=500,
                        help="timed steps per trainer, in 5 alternating rounds (default 500)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--json", default=None, help="append the record to this JSONL file")
    return parser


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


ROUNDS = 5  # alternating timing rounds per side


def _timed_steps(trainer: GANTrainer, steps: int) -> tuple[float, dict]:
    """Seconds per step over ``steps`` steps and the report of those steps (its mean losses)."""
    _sync(trainer.device)
    started = time.perf_counter()
    report = trainer.run_steps(trainer.step + steps, steps)
    _sync(trainer.device)
    return (time.perf_counter() - started) / steps, report


def _alternating(eager: GANTrainer, compiled: GANTrainer, steps: int) -> tuple[float, float, dict, dict]:
    """The median seconds per step of each trainer over :data:`ROUNDS` alternating rounds of ``steps // ROUNDS``
    steps, and each one's report of its first round."""
    per_round = max(1, steps // ROUNDS)
    times: dict[str, list[float]] = {"eager": [], "compiled": []}
    reports: dict[str, dict] = {}
    for _ in range(ROUNDS):
        for name, trainer in (("eager", eager), ("compiled", compiled)):
            seconds, report = _timed_steps(trainer, per_round)
            times[name].append(seconds)
            reports.setdefault(name, report)
    eager_s, compiled_s = statistics.median(times["eager"]), statistics.median(times["compiled"])
    return eager_s, compiled_s, reports["eager"], reports["compiled"]


def _first_step(trainer: GANTrainer) -> float:
    _sync(trainer.device)
    started = time.perf_counter()
    trainer.train_step()
    _sync(trainer.device)
    return time.perf_counter() - started


def measure_model(model: str, data, device: torch.device, steps: int) -> dict:
    """One model's row: eager and compiled step times, compile time (first and second trainer), losses."""
    eager = GANTrainer(GANConfig.from_dict({"model": model, "compile": "off"}), data, device)
    eager_first = _first_step(eager)
    compiled = GANTrainer(GANConfig.from_dict({"model": model, "compile": "on"}), data, device)
    first = _first_step(compiled)
    again = GANTrainer(GANConfig.from_dict({"model": model, "compile": "on"}), data, device)
    second = _first_step(again)
    eager_s, compiled_s, eager_report, compiled_report = _alternating(eager, compiled, steps)
    saved = eager_s - compiled_s
    compile_s = first - eager_first
    return {"model": model, "eager_step_ms": 1000 * eager_s, "compiled_step_ms": 1000 * compiled_s,
            "speedup": eager_s / compiled_s, "compile_s": compile_s, "second_trainer_compile_s": second - eager_first,
            "break_even_steps": compile_s / saved if saved > 0 else None,
            "compiled": bool(compiled._generate.active), "loss_d": [eager_report["loss_d"], compiled_report["loss_d"]],
            "loss_g": [eager_report["loss_g"], compiled_report["loss_g"]]}


def measure(args) -> dict:
    device = pick_device(args.device)
    data = load_dataset("mnist", args.data_dir, "train", device=device)
    rows = [measure_model(model, data, device, args.steps) for model in args.models]
    return {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "threads": torch.get_num_threads(), "steps": args.steps, "rows": rows}


def table(record: dict) -> str:
    header = ["model", "eager ms/step", "compiled ms/step", "speedup", "compile s", "2nd trainer s", "break-even steps"]
    rows = [[r["model"], r["eager_step_ms"], r["compiled_step_ms"], r["speedup"], r["compile_s"],
             r["second_trainer_compile_s"], cell(r["break_even_steps"])] for r in record["rows"]]
    return "\n".join([f"{PROG}: {describe(record)}, {record['device']}, {record['threads']} threads, "
                      f"{record['steps']} steps", *markdown_table(header, rows)])


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: measure(args), table, args.json)


if __name__ == "__main__":
    main()

"""``python -m bench.gpu_share``: aggregate training images/s with 1, 2, 4, 8 trials sharing one GPU.

    python -m bench.gpu_share --data-dir DATA --model dcgan --counts 1,2,4,8 --steps 500 --json bench/gpu_share.json
    python -m bench.gpu_share --mps-steps     # how to start NVIDIA MPS for the second pass

What ``--gpus-per-trial`` should be: one trial is one process (as a Ray trial worker is),
each training its own GAN through raygan's engine on the same device.  For each count N, N
processes build their trainers, warm up, wait for each other, then train ``--steps``
steps; the aggregate is every image shown to D over the wall time from the first start
to the last finish.  Without MPS the GPU time-slices between processes; with MPS their
kernels run side by side, which is where small models gain most.  Run it twice, without
and with MPS (``--mps`` only labels the second run and checks the daemon is up), and pick
the count past which the aggregate stops growing: ``--gpus-per-trial 1/N``.  ``--device
cpu`` runs the same on the CPU (its threads are shared instead), which is how the test
exercises it.
"""
from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import time

import torch

from bench.output import emit
from bench.record import describe, provenance
from raygan.atomic import check_writable
from raygan.cli import Parser, positive_int, user_errors
from raygan.config import GANConfig
from raygan.data import load_dataset, open_source
from raygan.devices import pick_device
from raygan.errors import RayganError

PROG = "bench.gpu_share"
MPS_STEPS = """NVIDIA MPS (Multi-Process Service) for the second pass, on the GPU machine:
  export CUDA_VISIBLE_DEVICES=0
  nvidia-smi -i 0 -c EXCLUSIVE_PROCESS      # optional: only MPS clients may use GPU 0 (needs root)
  nvidia-cuda-mps-control -d                # start the daemon
  python -m bench.gpu_share --data-dir DATA --mps ...
  echo quit | nvidia-cuda-mps-control       # stop it
  nvidia-smi -i 0 -c DEFAULT
On a Ray cluster, start the daemon on every GPU worker before `ray start` (worker_start_ray_commands)."""


def _trial(model: str, data_dir: str, device: str, steps: int, warmup: int, threads: int, barrier, results) -> None:
    """One trial's process: train ``steps`` steps after ``warmup``, timed from the common start."""
    from raygan.trainer import GANTrainer

    torch.set_num_threads(threads)
    dev = torch.device(device)
    config = GANConfig.from_dict({"model": model})
    trainer = GANTrainer(config, load_dataset("mnist", data_dir, "train", device=dev), dev)
    trainer.run_steps(warmup, warmup)
    _sync(dev)
    barrier.wait()
    started = time.monotonic()  # system-wide clock on Linux: comparable between the processes
    trainer.run_steps(warmup + steps, steps)
    _sync(dev)
    results.put((steps * config.batch_size * config.d_steps, started, time.monotonic()))


def measure(model: str, data_dir, device: str, count: int, steps: int, warmup: int, threads: int) -> dict:
    """Aggregate and per-trial images/s of ``count`` concurrent trials on ``device``."""
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    barrier, results = context.Barrier(count), context.Queue()
    workers = [context.Process(target=_trial, args=(model, str(data_dir), device, steps, warmup, threads,
                                                    barrier, results)) for _ in range(count)]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RayganError(f"a trial process failed (exit code {worker.exitcode}); see its traceback above")
    wall = max(end for _, _, end in done) - min(start for _, start, _ in done)
    images = sum(n for n, _, _ in done)
    return {"trials": count, "aggregate_images_per_s": images / wall,
            "per_trial_images_per_s": images / wall / count, "wall_s": wall}


def run(model: str, data_dir, device: str, counts: list[int], steps: int, warmup: int, threads: int,
        mps: bool, log=print) -> dict:
    measured = provenance()
    rows = []
    for count in counts:
        rows.append(measure(model, data_dir, device, count, steps, warmup, threads))
        log(f"{count} trial(s): {rows[-1]['aggregate_images_per_s']:,.0f} img/s in all")
    base = rows[0]["aggregate_images_per_s"] / rows[0]["trials"]
    for row in rows:
        row["scaling"] = row["aggregate_images_per_s"] / base
    name = torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({threads} thread(s) per trial)"
    return {**measured, "device": name, "mps": mps, "model": model, "steps": steps, "warmup": warmup, "rows": rows}


def format_table(result: dict) -> str:
    lines = [f"{result['model']} on {result['device']}, MPS {'on' if result['mps'] else 'off'}, "
             f"{result['steps']} steps per trial; {describe(result)}",
             "| trials per device | aggregate img/s | per trial img/s | vs one trial alone |",
             "| --- | --- | --- | --- |"]
    for row in result["rows"]:
        lines.append(f"| {row['trials']} | {row['aggregate_images_per_s']:,.0f} | "
                     f"{row['per_trial_images_per_s']:,.0f} | {row['scaling']:.2f}x |")
    return "\n".join(lines)


def mps_running() -> bool:
    control = shutil.which("nvidia-cuda-mps-control")
    if control is None:
        return False
    probe = subprocess.run([control], input="get_server_list\n", capture_output=True, text=True, timeout=10)
    return probe.returncode == 0


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with MNIST's four IDX .gz files")
    parser.add_argument("--model", default="dcgan", help="gan, dcgan or cgan (default dcgan)")
    parser.add_argument("--counts", default="1,2,4,8", help="trials per device to try (default 1,2,4,8)")
    parser.add_argument("--steps", type=positive_int, default=500, help="timed steps per trial (default 500)")
    parser.add_argument("--warmup", type=positive_int, default=20, help="untimed steps first (default 20)")
    parser.add_argument("--threads", type=positive_int, default=1, help="torch threads per trial (default 1)")
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto")
    parser.add_argument("--mps", action="store_true", help="label this run as with MPS (the daemon must be up)")
    parser.add_argument("--mps-steps", action="store_true", help="print how to start and stop MPS, and exit")
    parser.add_argument("--json", default=None, help="also write the JSON result to this file")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        if args.mps_steps:
            print(MPS_STEPS)
            return
        if not args.data_dir:
            raise RayganError("--data-dir is required (the folder with MNIST's four IDX .gz files)")
        GANConfig.from_dict({"model": args.model}, source="--model")
        try:
            counts = [int(c) for c in args.counts.split(",") if c.strip()]
        except ValueError:
            counts = []
        if not counts or min(counts) < 1:
            raise RayganError(f"--counts must be positive whole numbers separated by commas, got {args.counts!r}")
        open_source("mnist", args.data_dir)
        device = pick_device(args.device).type
        if args.mps and (device != "cuda" or not mps_running()):
            raise RayganError("--mps needs a CUDA device with the MPS daemon up; see --mps-steps")
        if args.json:
            check_writable(args.json)
        result = run(args.model, args.data_dir, device, counts, args.steps, args.warmup, args.threads, args.mps)
        emit(result, format_table(result), args.json)


if __name__ == "__main__":
    main()

"""``python -m bench.gpu_check``: everything a session with a GPU should measure, in one go (under 10 minutes).

One after the other, each with a time limit, on the first CUDA device:

1. the ``cuda`` tests (``pytest -m cuda``: train, resume, search, evaluate and export on the GPU);
2. ``bench.engine`` on CUDA: raygan's engine against the usual PyTorch loop, images/s per model;
3. ``bench.gpu_share`` on CUDA: aggregate images/s with 1, 2, 4 and 8 trials sharing the GPU (what
   ``--gpus-per-trial`` should be);
4. ``bench.compile_step`` on CUDA: the compiled step (CUDA graphs) against the eager one for the DCGAN and
   the conditional MLP, compile time counted (whether ``compile: auto`` should compile on a GPU).

A step that fails or runs out of time is recorded as such and the next one runs.  Writes one
JSON record (``--json``, appended) and prints it after a paragraph for ``bench/RESULTS.md``
that names the device.  Example, on the GPU machine::

    python -m bench.gpu_check --data-dir ../shared/data/mnist --out gpu-check --json bench/gpu_check.jsonl
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.record import describe, provenance, publish
from raygan.atomic import output_folder
from raygan.cli import Parser, user_errors
from raygan.errors import RayganError

PROG = "bench.gpu_check"
LIMITS = {"tests": 210, "engine": 110, "gpu_share": 150, "compile": 110}  # seconds per step: 9.7 minutes in all


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with MNIST's four IDX .gz files")
    parser.add_argument("--out", required=True, help="folder for each step's JSON and log")
    parser.add_argument("--json", default=None, help="append the record to this JSONL file")
    return parser


def run_step(name: str, command: list[str], out: Path) -> dict:
    """Run one step with its time limit; its exit code, seconds and log (the tail kept in the record)."""
    started = time.time()
    try:
        done = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=LIMITS[name])
        code, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as err:
        code, text = "timeout", f"{err.stdout or ''}{err.stderr or ''}"
        text = text.decode() if isinstance(text, bytes) else text
    (out / f"{name}.log").write_text(text)
    return {"exit": code, "seconds": round(time.time() - started, 1), "tail": text[-1500:]}


def measured(path: Path):
    return json.loads(path.read_text()) if path.is_file() else None


def check(args) -> dict:
    import torch

    if not torch.cuda.is_available():
        raise RayganError("no CUDA device here; run this on the GPU machine")
    out = output_folder(args.out, "out")
    data = str(args.data_dir)
    steps = {
        "tests": run_step("tests", ["-m", "pytest", "-q", "-n", "0", "-m", "cuda", "-p", "no:cacheprovider", "tests"],
                          out),
        "engine": run_step("engine", ["-m", "bench.engine", "--device", "cuda", "--data-dir", data, "--models",
                                      "gan,dcgan,cgan", "--json", str(out / "engine.json")], out),
        "gpu_share": run_step("gpu_share", ["-m", "bench.gpu_share", "--device", "cuda", "--data-dir", data,
                                            "--counts", "1,2,4,8", "--steps", "300",
                                            "--json", str(out / "gpu_share.json")], out),
        "compile": run_step("compile", ["-m", "bench.compile_step", "--device", "cuda", "--data-dir", data,
                                        "--models", "dcgan", "cgan", "--steps", "300",
                                        "--json", str(out / "compile.json")], out)}
    return {"device": torch.cuda.get_device_name(0), "steps": steps, "engine": measured(out / "engine.json"),
            "gpu_share": measured(out / "gpu_share.json"), "compile": measured(out / "compile.json")}


def paragraph(record: dict) -> str:
    """The record in a few sentences for bench/RESULTS.md."""
    steps = record["steps"]
    said = [f"GPU check on {record['device']} ({describe(record)}):"]
    tests = steps["tests"]
    summary = next((line for line in tests["tail"].splitlines()[::-1] if " passed" in line or " failed" in line), "")
    said.append(f"the cuda tests {'passed' if tests['exit'] == 0 else 'did not pass'} ({summary.strip()}, "
                f"{tests['seconds']:.0f} s);")
    for name, prog in (("engine", "engine"), ("gpu_share", "gpu_share"), ("compile", "compile_step")):
        step = steps[name]
        said.append(f"bench.{prog} exit {step['exit']} after {step['seconds']:.0f} s"
                    + (f": {json.dumps(record[name])[:400]}" if record[name] else "") + ";")
    return " ".join(said)


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        record = {**provenance(), **check(args)}
        publish(record, paragraph(record), args.json)


if __name__ == "__main__":
    main()

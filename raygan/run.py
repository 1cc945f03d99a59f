"""One complete training run on one device, writing everything a person needs to judge it.

``train_run`` is what ``python -m raygan.train`` calls: it trains, and under ``out`` it
writes ``metrics.jsonl`` (one object per report), ``samples/step_NNNNNN.png`` (a
fixed-noise grid per report), ``curves.png`` and ``generator.safetensors``.
"""
from __future__ import annotations

import time
from pathlib import Path

from raygan import metrics
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.engine import GANTrainer
from raygan.export import save_generator
from raygan.plots import sample_grid, save_curves, save_grid
from raygan.records import append_jsonl


def train_run(config: GANConfig, data_dir, steps: int, report_every: int, out, device="cpu",
              quick_num: int = 2000, final_num: int = 10000, download: bool = False,
              log=print) -> dict:
    """Train ``config`` for ``steps`` steps and write the run's outputs under ``out``.

    Every report adds the cheap quality metrics on ``quick_num`` samples; the end of the
    run evaluates the full metric set on ``final_num`` samples.  Returns the final metrics.
    """
    out = Path(out)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    metrics_file = out / "metrics.jsonl"
    metrics_file.unlink(missing_ok=True)
    data = load_dataset(config.dataset, data_dir, "train", device=device, download=download)
    trainer = GANTrainer(config, data)
    reports = []
    started = time.perf_counter()

    def on_report(report: dict) -> None:
        if quick_num:
            report.update(metrics.evaluate_generator(trainer.generator, config.dataset, data_dir,
                                                     num=quick_num, metrics=metrics.quick_metrics(config.conditional)))
        report["seconds"] = round(time.perf_counter() - started, 2)
        reports.append(report)
        append_jsonl(metrics_file, report)
        images, per_row = sample_grid(trainer.generator)
        save_grid(images, out / "samples" / f"step_{report['step']:06d}.png", nrow=per_row)
        log(_one_line(report))

    trainer.run(steps, report_every, on_report)
    save_curves(reports, out / "curves.png", metric="fid")
    final = metrics.evaluate_generator(trainer.generator, config.dataset, data_dir, num=final_num) if final_num else {}
    save_generator(out / "generator.safetensors", trainer.generator, config,
                   extra={"steps": trainer.step, "metrics": final})
    append_jsonl(out / "final_metrics.jsonl", {"step": trainer.step, "num_samples": final_num, **final})
    return final


def _one_line(report: dict) -> str:
    keys = ("loss_d", "loss_g", "d_acc", "fid", "classes_covered", "label_acc", "images_per_s")
    shown = " ".join(f"{k}={report[k]:.3g}" for k in keys if k in report)
    return f"step {report['step']}: {shown}"

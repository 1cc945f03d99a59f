"""One run in an output folder: the face of the run loop that ``python -m raygan.train`` uses.

An output folder holds exactly one run:

- ``options.json``: the run's resolved options (config, budget, data folder, device),
  written before training starts; ``--resume`` reads them back;
- ``metrics.jsonl``: one object per report; ``samples/kimg_NNNNNNNNN.png``: a fixed-noise grid per
  report, named by the images shown to D (:mod:`raygan.artifacts`);
- ``tensorboard/``: the same reports and grids as TensorBoard events;
- ``checkpoint/``: the latest checkpoint (see :mod:`raygan.checkpoint`), from which
  ``--resume`` continues bit for bit on the CPU;
- ``best_generator.safetensors``: the generator at the best report by the tracked metric, and at the
  end the best of the best few reports' (kept in ``candidates/``) and the last generator, measured
  again on ``final_num`` samples (:mod:`raygan.candidates`);
- at the end, ``curves.png``, ``generator.safetensors`` (the last generator, with the
  final metric record) and ``final_metrics.jsonl``.

A first Ctrl-C or SIGTERM (:mod:`raygan.interrupt`) ends the run after the step under way, with
a checkpoint of that step (and the statistics since the last report, so that the resumed run's
reports are an unbroken run's), and raises :class:`~raygan.interrupt.Interrupted`.

File names are :mod:`raygan.layout`'s.  A folder that holds anything else is never written into silently: :func:`prepare_folder`
refuses unless the caller resumes the run in it (:func:`read_options`) or overwrites it.
"""
from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from raygan.artifacts import ReportArtifacts
from raygan.atomic import atomic_path, output_folder
from raygan.budget import UNTIL_DEADLINE_KIMG, Budget
from raygan.candidates import LAST, candidate_file, choose, keep_candidates, top_reports
from raygan.checkpoint import has_checkpoint, write_checkpoint
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.data.prepare import prepare
from raygan.data.sources import Source
from raygan.errors import RayganError
from raygan.generator_file import load_generator, save_trainer_generator
from raygan.interrupt import StopRequest
from raygan.layout import (BEST_GENERATOR, CANDIDATES_DIR, CHECKPOINT_DIR, CLOSEST_PAIRS, CURVES, FINAL_GENERATOR,
                           FINAL_METRICS, METRICS_FILE, OPTIONS_FILE, RUN_OUTPUTS)
from raygan.metrics.copies import copy_warning
from raygan.plots import save_curves
from raygan.progress import KimgBar, say
from raygan.records import append_jsonl, is_finite_number, read_jsonl, write_jsonl
from raygan.run_loop import ReportEvent, RunPlan, run_loop
from raygan.trainer import GANTrainer


def prepare_folder(out: Path, overwrite: bool) -> None:
    """Make ``out`` ready for a new run: missing or empty, or (``overwrite``) cleared of a previous run's outputs."""
    output_folder(out, "out")
    if any(out.iterdir()):
        if not overwrite:
            what = "a raygan run" if (out / OPTIONS_FILE).exists() else "other files"
            raise RayganError(f"out {out} already holds {what}; pass resume=True to continue it, "
                              "overwrite=True to replace it, or choose another out", ("out", "resume", "overwrite"))
        for name in RUN_OUTPUTS:  # only what a run writes: a user's own files stay
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def read_options(out: Path) -> dict:
    """The saved options of the run in ``out`` (to resume it); a one-line error if there is none."""
    path = out / OPTIONS_FILE
    if not path.is_file():
        raise RayganError(f"resume: {out} holds no raygan run ({OPTIONS_FILE} is missing); "
                          "pass the out folder of the run to continue, or drop resume", ("out", "resume"))
    corrupt = RayganError(f"{path} is corrupt or hand-edited; start a new run with overwrite=True or another out",
                          ("out", "overwrite"))
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
        kinds = {"config": dict, "budget": dict, "data_dir": str, "device": str}
        if not isinstance(options, dict) or not all(isinstance(options.get(k), t) for k, t in kinds.items()):
            raise ValueError("a key is missing or of the wrong kind")
    except (OSError, ValueError):
        raise corrupt from None
    if "max_steps" in options["budget"]:
        raise RayganError(f"{path} was written by an older raygan, whose budgets counted steps; start a new run "
                          "with overwrite=True or another out", ("out", "overwrite"))
    try:
        GANConfig.from_saved(options["config"], source=str(path))
        Budget.from_dict(options["budget"], source=str(path))
    except RayganError:
        raise corrupt from None
    return options


def reached_kimg(out: Path) -> float:
    """The kimg at the last report of the run in ``out`` (0 if none)."""
    path = out / METRICS_FILE
    reports = read_jsonl(path) if path.is_file() else []
    return reports[-1]["kimg"] if reports else 0.0


def write_options(out: Path, options: dict) -> None:
    with atomic_path(out / OPTIONS_FILE) as tmp:
        tmp.write_text(json.dumps(options, indent=2) + "\n", encoding="utf-8")


class FolderFace:
    """Reports, grids, candidates for the best generator and checkpoints as files under ``out``."""

    def __init__(self, out: Path, plan: RunPlan, log=print):
        self.out = out
        self.plan = plan
        self.log = log
        self.published = 0  # reports made by this process (0: a resumed run that had nothing left to do)
        self.artifacts: ReportArtifacts | None = None  # opened by start()

    @contextmanager
    def latest_checkpoint(self):
        folder = self.out / CHECKPOINT_DIR
        yield folder if has_checkpoint(folder) else None

    def start(self, history: list[dict]) -> dict:
        # Reports written after the checkpoint (a run killed between checkpoints) are dropped: they are redone.
        write_jsonl(self.out / METRICS_FILE, history)
        self.artifacts = ReportArtifacts(self.out, history)
        if history:
            self.log(f"resuming at step {history[-1]['step']} from {self.out / CHECKPOINT_DIR}")
        return {}

    def publish(self, event: ReportEvent) -> None:
        report = event.report
        self.published += 1
        append_jsonl(self.out / METRICS_FILE, report)
        self.artifacts.write(report, event.trainer.sampling_generator)
        keep_candidates(self.out / CANDIDATES_DIR, event.history, self.plan.ranked, self.plan.mode,
                        event.write_generator)
        if event.new_best:  # before the checkpoint: a restored history never calls this report a new best again
            copy_candidate(self.out, event.report["kimg"])  # a new best is always the first candidate
        if event.checkpoint_due or event.new_best:  # a resumed run's best generator is one of its reports
            event.write_checkpoint(self.out / CHECKPOINT_DIR)
        self.log(one_line(report))
        if event.collapsed:
            self.log(f"stopped: {report['collapse_reason']}")

    def close(self) -> None:
        if self.artifacts is not None:
            self.artifacts.close()


def train_run(config: GANConfig, budget: Budget, source: Source, out, device="cpu", rules: CollapseRules | None = None,
              log=say, time_budget: float | None = None) -> dict:
    """Train ``config`` under ``budget`` in the prepared folder ``out``, resuming from its checkpoint if any.

    ``time_budget`` (seconds, counted once the data and its evaluator are ready) also ends the
    run, at its last report before then.  In a
    terminal a progress bar (kimg, rate, ETA) runs below the report lines, then the final
    measurement's bars (sampling, embedding, metrics).  The data comes from ``source``
    (:func:`raygan.data.open_source`) through :func:`~raygan.data.prepare.prepare`: an image
    folder's evaluator is trained first if it has none yet.

    Returns a summary: steps, whether and why the run collapsed, and the final metric
    record (``final_num`` samples).
    """
    out = Path(out)
    data = prepare(source, device, log)
    deadline = time.time() + time_budget if time_budget else None
    trainer = GANTrainer(config, data.train)
    plan = RunPlan(budget, rules or CollapseRules(), deadline=deadline)
    face = FolderFace(out, plan, log)
    progress = KimgBar(budget.max_kimg if budget.max_kimg < UNTIL_DEADLINE_KIMG else None, f"{config.model} training")

    # resumed with the time left of its budget; a stop during the final measurement waits for its end: the run is done
    stop = StopRequest(lambda: {"resume": True, "out": str(out), "overwrite": None,
                                **({"time_budget": max(1, round(deadline - time.time()))} if deadline else {})})

    def on_step(images: int) -> bool:
        progress(images)
        return stop.requested

    with stop:
        try:
            history = run_loop(trainer, plan, data.measurer, face, on_step=on_step)
        finally:
            progress.close()
            face.close()
        if stop.requested:
            write_checkpoint(out / CHECKPOINT_DIR, trainer, history)
            stop.check()
        last = history[-1] if history else {}
        finals = read_jsonl(out / FINAL_METRICS) if (out / FINAL_METRICS).is_file() else []
        if face.published == 0 and finals and finals[-1]["step"] == trainer.step:
            log(f"the run in {out} was already complete at step {trainer.step}; "
                "train it longer with a larger max_kimg (python -m raygan.train --resume --kimg N)")
            final = {k: v for k, v in finals[-1].items() if k not in ("step", "kimg")}
        else:
            save_curves(history, out / CURVES, metric=plan.metric)
            raw = trainer.generator if trainer.generator_ema is not None else None
            final = (data.measurer.measure_final(trainer.sampling_generator, raw, num=budget.final_num, progress=True,
                                                 closest_grid=out / CLOSEST_PAIRS) if budget.final_num else {})
            copies = copy_warning(final, str(out / CLOSEST_PAIRS))
            if copies:
                log(copies)
            final.update(choose_best_generator(out, trainer, history, final, data.measurer, plan, log))
            save_trainer_generator(out / FINAL_GENERATOR, trainer, final)
            append_jsonl(out / FINAL_METRICS, {"step": trainer.step, "kimg": trainer.images / 1000, **final})
    return {"steps": trainer.step, "kimg": trainer.images / 1000, "collapsed": bool(last.get("collapsed")),
            "collapse_reason": last.get("collapse_reason", ""), **final}


def choose_best_generator(out: Path, trainer: GANTrainer, history: list[dict], final: dict, measurer, plan: RunPlan,
                          log=say) -> dict:
    """Write ``best_generator.safetensors`` as the best of the candidates and the last generator on the final
    record's samples (:mod:`raygan.candidates`); returns ``{"best_choice": ...}`` (empty without a final value)."""
    metric, folder, tops = plan.metric, out / CANDIDATES_DIR, top_reports(history, plan.ranked, plan.mode)
    if not tops or not is_finite_number(final.get(metric)):  # no report measured, or no final record
        return {}
    kimg = trainer.images / 1000
    last_report = history[-1] if history[-1]["kimg"] == kimg else {}
    rows = [{"source": LAST, "kimg": kimg, "quick": last_report.get(metric), "final": final[metric]}]
    rows += [{"source": "candidate", "kimg": report["kimg"], "quick": report[metric]} for report in tops
             if report["kimg"] != kimg and candidate_file(folder, report["kimg"]).is_file()]
    num = final["num_samples"]

    def measure(row: dict) -> float:
        generator = load_generator(candidate_file(folder, row["kimg"]), trainer.device)
        return measurer.measure_generator(generator, num=num, metrics=(metric,))[metric]

    chosen = choose(rows, measure, metric, plan.mode, num)
    choice = {"best_choice": chosen.record()}
    if chosen.chosen["source"] == LAST:
        save_trainer_generator(out / BEST_GENERATOR, trainer, {**final, **choice})
    else:
        copy_candidate(out, chosen.chosen["kimg"])
    log(chosen.line())
    return choice


def copy_candidate(out: Path, kimg: float) -> None:
    """Make the candidate of the report at ``kimg`` the run's ``best_generator.safetensors`` (atomically)."""
    with atomic_path(out / BEST_GENERATOR) as tmp:
        shutil.copyfile(candidate_file(out / CANDIDATES_DIR, kimg), tmp)


def one_line(report: dict) -> str:
    keys = ("loss_d", "loss_g", "d_acc", "fid", "fid_se", "classes_covered", "label_acc", "images_per_s")
    shown = " ".join(f"{k}={report[k]:.3g}" for k in keys if isinstance(report.get(k), (int, float)))
    return f"step {report['step']} ({report['kimg']:g} kimg): {shown}"

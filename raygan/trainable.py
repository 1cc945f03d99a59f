"""The Ray Tune function trainable: one GAN trial, reporting, checkpointing and resuming.

:func:`train_gan` is wrapped by ``tune.with_parameters`` in :mod:`raygan.search`, so the
train and test splits reach every trial through Ray's object store (loaded once by the
driver; worker nodes need no files).  Each report carries the engine's statistics, the
quick quality metrics, ``collapsed``/``collapse_reason`` from :mod:`raygan.collapse`,
the learning rates the optimisers actually use, and where the trial ran (``node_id``,
``device``).  Checkpoints hold the whole trainer
state (``trainer.pt``, loadable with ``weights_only=True``), the report history (for
collapse patience across restarts) and the generator as an export file.

On restore the trainer is rebuilt from *this* trial's config and only then loaded, so a
restarted or exploited trial trains with its own hyper-parameters.
"""
from __future__ import annotations

import math
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ray
import torch
from ray import tune

from raygan import metrics
from raygan.atomic import atomic_path
from raygan.collapse import CollapseRules, collapse_reason
from raygan.config import GANConfig
from raygan.data import ImageData
from raygan.engine import GANTrainer
from raygan.errors import RayganError
from raygan.export import save_generator
from raygan.records import read_jsonl, write_jsonl

STATE_FILE = "trainer.pt"
HISTORY_FILE = "history.jsonl"
GENERATOR_FILE = "generator.safetensors"
BIG = 1e9  # stands in for a non-finite loss: Optuna and Tune's result store reject NaN


@dataclass(frozen=True)
class TrialSettings:
    """What every trial of one search shares (the searched values come in the trial config)."""

    base_config: dict
    max_steps: int
    report_every: int
    checkpoint_every: int
    quick_num: int
    rules: CollapseRules
    metric: str = "fid"
    mode: str = "min"
    threads: int = 1


def trial_device() -> torch.device:
    """CUDA when Ray gave this trial a GPU that torch can use, else CPU.

    A "GPU" resource with no CUDA behind it (a CPU-only node that advertises GPUs, or
    ``ray.cluster_utils.Cluster``'s fake ones) falls back to the CPU.
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_gan(config: dict, train_data: ImageData, test_data: ImageData, settings: TrialSettings) -> None:
    torch.set_num_threads(settings.threads)  # trials share a node's cores; torch would take all of them
    device = trial_device()
    gan_config = GANConfig.from_dict({**settings.base_config, **config}, source="trial config")
    trainer = GANTrainer(gan_config, train_data, device)
    history = resume(trainer, tune.get_checkpoint(), device)
    quick = metrics.quick_metrics(gan_config.conditional)
    placement = {"device": device.type, "node_id": ray.get_runtime_context().get_node_id()}

    def on_report(report: dict) -> None:
        report.update(metrics.evaluate_generator(trainer.generator, gan_config.dataset, test_data,
                                                 num=settings.quick_num, metrics=quick))
        history.append(dict(report))
        reason = collapse_reason(history, settings.rules)
        report.update(collapsed=reason is not None, collapse_reason=reason or "",
                      lr_g_in_use=trainer.opt_g.param_groups[0]["lr"],
                      lr_d_in_use=trainer.opt_d.param_groups[0]["lr"], **placement)
        # Ray's progress table shows the first four metrics of a result: put the telling ones first.
        shown_first = (settings.metric, "d_acc", "classes_covered", "step")
        report = finite({**{key: report[key] for key in shown_first if key in report}, **report})
        reports_done = trainer.step // settings.report_every
        if reason or _is_new_best(history, settings) or reports_done % settings.checkpoint_every == 0 \
                or trainer.step >= settings.max_steps:
            with tempfile.TemporaryDirectory() as folder:
                write_checkpoint(Path(folder), trainer, history, report)
                tune.report(report, checkpoint=tune.Checkpoint.from_directory(folder))
        else:
            tune.report(report)

    trainer.run(settings.max_steps, settings.report_every, on_report)


def resume(trainer: GANTrainer, checkpoint, device) -> list[dict]:
    """Load ``checkpoint`` (if any) into ``trainer``; return the report history it holds."""
    if checkpoint is None:
        return []
    with checkpoint.as_directory() as folder:
        path = Path(folder) / STATE_FILE
        try:  # weights_only: a checkpoint holding arbitrary pickled objects is refused, never run
            state = torch.load(path, map_location=device, weights_only=True)
            trainer.load_state_dict(state)
            return read_jsonl(Path(folder) / HISTORY_FILE)
        except (OSError, RuntimeError, KeyError, ValueError, EOFError, pickle.UnpicklingError) as err:
            reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise RayganError(f"checkpoint {path} is corrupt or not a raygan checkpoint ({reason}); "
                              "delete that checkpoint folder to restart the trial from an earlier one") from None


def write_checkpoint(folder: Path, trainer: GANTrainer, history: list[dict], report: dict) -> None:
    with atomic_path(folder / STATE_FILE) as tmp:
        torch.save(trainer.state_dict(), tmp)
    write_jsonl(folder / HISTORY_FILE, history)
    save_generator(folder / GENERATOR_FILE, trainer.generator, trainer.config,
                   extra={"steps": trainer.step, "metrics": _metric_values(report)})


def finite(report: dict) -> dict:
    """Non-finite floats replaced by +-BIG (NaN by BIG), so every value is storable and sortable."""
    def fix(value):
        if isinstance(value, float) and not math.isfinite(value):
            return -BIG if value == -math.inf else BIG
        return value
    return {key: fix(value) for key, value in report.items()}


def _is_new_best(history: list[dict], settings: TrialSettings) -> bool:
    """Whether the last report beats every earlier one: checkpointed, so export finds the true best."""
    values = [r[settings.metric] for r in history]
    best = min(values) if settings.mode == "min" else max(values)
    return values[-1] == best and best not in values[:-1]


def _metric_values(report: dict) -> dict:
    return {k: v for k, v in report.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

"""Every file and folder name raygan writes, in one place: a run's output folder, a checkpoint, a
search's experiment folder.

Sample grids are named by the images shown to D when they were drawn (kimg, zero-padded
to whole images), in single runs and trials alike, so that grids of runs at different
batch sizes line up and sort by training progress.
"""
from __future__ import annotations

# -- a run's folder (python -m raygan.train --out) and a trial's working folder ----------------------
OPTIONS_FILE = "options.json"  # the run's resolved options, written before training; --resume reads them
METRICS_FILE = "metrics.jsonl"  # one object per report
SAMPLES_DIR = "samples"  # one fixed-noise grid per report, named by grid_name()
TENSORBOARD_DIR = "tensorboard"  # the same reports and grids as TensorBoard events
CHECKPOINT_DIR = "checkpoint"  # the latest checkpoint
BEST_GENERATOR = "best_generator.safetensors"  # the generator at the best report by the tracked metric (a trial's too)
CANDIDATES_DIR = "candidates"  # the generators of the best few reports, measured again at the end (raygan.candidates)
CURVES = "curves.png"  # losses, D's accuracy and the tracked metric over the run
FINAL_GENERATOR = "generator.safetensors"  # the last generator, with the final metric record
FINAL_METRICS = "final_metrics.jsonl"  # the end-of-run metric records
EVALUATIONS = "evaluations.jsonl"  # appended by python -m raygan.evaluate
CLOSEST_PAIRS = "closest_to_training.png"  # the final samples nearest a training image, each above it
RUN_OUTPUTS = (OPTIONS_FILE, METRICS_FILE, SAMPLES_DIR, CHECKPOINT_DIR, BEST_GENERATOR, CANDIDATES_DIR, CURVES,
               FINAL_GENERATOR, FINAL_METRICS, EVALUATIONS, TENSORBOARD_DIR,
               CLOSEST_PAIRS)  # what --overwrite clears (a user's own files stay)

# -- a checkpoint folder ------------------------------------------------------------------------------
CHECKPOINT_STATE = "trainer.pt"  # G, D, optimisers, step, RNG states and report history (weights only)

# -- a search's experiment folder ---------------------------------------------------------------------
SEARCH_FILE = "search.json"  # the command and the space, written before training
SUMMARY_FILE = "summary.jsonl"  # one row per trial, best first
PHASES_FILE = "phases.jsonl"  # each phase's wall seconds
REPORT_FILE = "report.html"  # the self-contained page (python -m raygan.report rebuilds it)
FINAL_NAME = "final"  # the final run's experiment, inside the search's folder
BEST_CURVES = "best_curves.png"
BEST_SAMPLES = "best_samples.png"
EXPORT_COPIES = "export_copies.json"  # the export's memorisation check, for report.html (beside CLOSEST_PAIRS)


def grid_name(kimg: float) -> str:
    """The file name of the sample grid of the report at ``kimg`` (images shown to D, zero-padded)."""
    return f"kimg_{round(kimg * 1000):09d}.png"


def by_trial_plot(metric: str) -> str:
    """The plot of ``metric`` over kimg for every trial of a search."""
    return f"{metric}_by_trial.png"

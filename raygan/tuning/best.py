"""The search's result: the best trial's best generator, measured in full and exported.

Each trial keeps its best generator, by the search metric on the per-report sample count
(``quick_num``), in its folder (:mod:`raygan.tuning.saving`); the export then measures the
best trial's with every metric on ``final_num`` samples, so an export from a search and one
from ``python -m raygan.train`` carry the same kind of metric record.  The per-report value
it was chosen by is kept beside it as ``search_metric``.  Under the space's constraints the
best trial and its best generator are ranked feasible first (:mod:`raygan.constraints`): the
export is feasible whenever any trial's report was, and the least violating one otherwise
(the summary says so: :meth:`~raygan.tuning.summary.Outcome.constraint_lines`).

After a final run the export is not simply the best report's generator: one report's 2,000-sample
value is a noisy draw, and the best of many is biased low.  :func:`choose_export` measures the
final run's candidates (its best few reports' generators and its last, :mod:`raygan.tuning.saving`)
and the best generator of the search trial it continued on ``final_num`` samples from the same
seeded noise, and exports the best of them (:mod:`raygan.candidates`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from ray import tune

from raygan.atomic import atomic_path
from raygan.candidates import choose
from raygan.config import GANConfig
from raygan.constraints import ranked_value
from raygan.errors import RayganError
from raygan.generator_file import load_generator, load_raw_generator, read_metadata, save_generator
from raygan.layout import BEST_GENERATOR, CANDIDATES_DIR, CLOSEST_PAIRS, EXPORT_COPIES
from raygan.space import SearchSpace
from raygan.tuning.storage import fetched, file_sizes
from raygan.tuning.summary import trial_name


class Best(NamedTuple):
    result: object  # the trial's ray.tune.Result
    generator: object  # its best generator (the weight average, if kept)
    raw_generator: object | None  # G's own weights when ``generator`` is their average


def best_checkpoint(result, best_report: dict):
    """The checkpoint saved with the trial's best report (``best_report``: the summary's, by the metric or its
    ranked value under constraints), or None if that report saved none.

    Read from the report's ``checkpoint_dir_name``, not Tune's list of the trial's checkpoints: Tune
    registers a function trainable's checkpoint in a save step after it logs the report, and a phase that
    ends (its time budget) between the two leaves the report in the results, and its checkpoint in storage,
    but not in that list (a final run then continued from an earlier report than the summary's best).
    """
    name = best_report.get("checkpoint_dir_name")  # Tune's key: the folder of the checkpoint reported with it
    if not isinstance(name, str) or not name:
        return None
    # not checked for: a finished search, resumed, finds it pruned, and needs it only to name the final run's start
    return tune.Checkpoint(path=f"{result.path}/{name}", filesystem=result.filesystem)


def best_generator_config(result) -> dict:
    """The config of ``result``'s trial at its best report (under PBT a trial's config changes as it goes)."""
    with fetched(result.filesystem, f"{result.path}/{BEST_GENERATOR}") as path:
        if path is None:
            raise RayganError(f"trial {trial_name(result)} saved no best generator; see the summary")
        return read_metadata(path)["config"]


def load_best(grids: list, space: SearchSpace, trial: str | None) -> Best | None:
    """The :class:`Best` of ``trial``'s best generator by the metric, or None without a best trial.

    ``grids`` are the phases' result grids; ``trial`` is the summary's best
    (:class:`~raygan.tuning.summary.Outcome`), so the table, the plots and the export always
    name the same trial.
    """
    best = next((result for grid in grids for result in grid if trial_name(result) == trial), None)
    if best is None:
        return None
    loaded = _load(best, f"{best.path}/{BEST_GENERATOR}")
    if loaded is None:
        raise RayganError(f"the best trial {trial} saved no best generator (its folder: {best.path})")
    return loaded


def _load(result, path: str) -> Best | None:
    with fetched(result.filesystem, path) as local:
        if local is None:
            return None
        generator = load_generator(local)
        return Best(result, generator, load_raw_generator(local, generator))


def stored_candidates(result) -> list[Best]:
    """The candidate generators a final run kept in its folder (:mod:`raygan.tuning.saving`), by kimg."""
    folder = f"{result.path}/{CANDIDATES_DIR}"
    names = sorted(name for name in file_sizes(result.filesystem, folder) if name.startswith("kimg_"))
    return [found for found in (_load(result, f"{folder}/{name}") for name in names) if found is not None]


def choose_export(source, final, space: SearchSpace, measurer) -> tuple[Best | None, dict | None]:
    """The generator to export after a final run, and ``best_choice`` (what was compared): the best, on
    ``final_num`` samples of the same seeded noise, of the best generator of the search trial ``source`` and the
    candidates of the ``final`` run (both Tune results); ``(None, None)`` when there is nothing to compare."""
    if not space.budget.final_num:
        return None, None
    found = [best for best in [_load(source, f"{source.path}/{BEST_GENERATOR}"), *stored_candidates(final)]
             if best is not None]
    if not found:
        return None, None
    metrics = (space.metric, *(constraint.metric for constraint in space.constraints))
    rows = []
    for index, best in enumerate(found):
        record = measurer.measure_generator(best.generator, num=space.budget.final_num, metrics=metrics,
                                            strict=False)
        # ranked by the ranked value (the metric itself when the constraints are met), which "value" shows
        rows.append({"source": "search" if best.result is source else "final run", "trial": trial_name(best.result),
                     "kimg": best.generator.metadata.get("kimg"), "index": index,
                     "quick": (best.generator.metadata.get("metrics") or {}).get(space.metric),
                     "final": ranked_value(record, space.metric, space.mode, space.constraints),
                     **({"value": record.get(space.metric)} if space.constraints else {})})
    choice = choose(rows, None, space.metric, space.mode, space.budget.final_num)
    chosen = found[choice.chosen["index"]]
    record = choice.record()
    record["rows"] = [{key: value for key, value in row.items() if key != "index"} for row in record["rows"]]
    return chosen, record


def measure_best(best, space: SearchSpace, measurer, folder: Path | None = None) -> dict:
    """The metric record of the best generator on ``final_num`` samples (empty if ``final_num`` is 0).  With a
    ``folder``, its memorisation check is kept there for the report (its numbers and the closest pairs' grid)."""
    if best is None or not space.budget.final_num:
        return {}
    record = measurer.measure_final(best.generator, best.raw_generator, num=space.budget.final_num,
                                    closest_grid=None if folder is None else folder / CLOSEST_PAIRS)
    if folder is not None and "copy_rate" in record:
        with atomic_path(folder / EXPORT_COPIES) as tmp:
            tmp.write_text(json.dumps({key: record[key] for key in ("copy_rate", "copy_threshold", "copy_samples")}))
    return record


def export_best(best, record: dict, space: SearchSpace, path, experiment: str) -> Path:
    """Write ``best`` (from :func:`load_best`) with its metric ``record`` and the search's hyper-parameters."""
    if best is None:
        raise RayganError("no trial saved a checkpoint, so there is nothing to export; see the summary above")
    result, generator, _ = best
    metadata = generator.metadata
    config = GANConfig.from_saved(metadata["config"], source="best checkpoint")
    return save_generator(path, generator, config, generator.info, extra={
        "steps": metadata.get("steps"), "kimg": metadata.get("kimg"), "metrics": record,
        "search_metric": metadata.get("metrics"),
        # the searched values of the checkpoint's own config: under PBT a trial's config changes as it goes
        "hyperparameters": {name: metadata["config"][name] for name in space.params},
        "trial": trial_name(result), "experiment": experiment,
        "search_space": space.to_dict()})

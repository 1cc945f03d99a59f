"""Ray Tune glue: the trial side (:mod:`.trainable`) and the driver side (:mod:`.driver`).

Imported on use (``import raygan`` does not import Ray):

- :mod:`.ray_session`: start a local Ray or join a cluster, failing fast with the fix;
- :mod:`.resources`: per-trial resources and concurrency (:mod:`.autoscaler`: what an autoscaling cluster can grow to);
- :mod:`.tuner`: the Tuners (Optuna + ASHA, PBT or PB2; the final run; :mod:`.constrained_search`: Optuna told
  each trial's violation of the space's constraints);
- :mod:`.location`: where the experiment lives (a folder or a bucket) and where its summary goes;
- :mod:`.summary`: per-trial rows (:mod:`.trial_row`: a row and how its trial ended), lineage, the budget's
  breakdown, table, summary.jsonl and plots;
- :mod:`.html_report`: ``report.html`` (from :mod:`.search_record`'s ``search.json``, the summary and
  :mod:`.importances`; :mod:`.rebuild` rebuilds an interrupted search's summary);
- :mod:`.saving`: what a trial saves to storage at a report and what that costs (:mod:`.storage`: files in
  the experiment's storage, a folder or a bucket); :mod:`.pruning`: what is deleted once a phase has ended;
- :mod:`.best`: the best trial's best generator, measured and exported.
"""
from raygan.tuning.driver import run_search
from raygan.tuning.options import SearchOptions
from raygan.tuning.summary import Outcome

__all__ = ["Outcome", "SearchOptions", "run_search"]

"""Search-space files (``search_spaces/*.yaml``): load, validate, turn into Ray Tune's space.

The format (every top-level key but ``params`` is optional)::

    model: gan                  # any raygan model
    dataset: mnist              # mnist, fashion_mnist, or a folder of images (a path, relative to this file)
    image_size: 32              # image folders only: 28, 32 or 64 (default: the images')
    channels: 3                 # image folders only: 1 or 3 (default: the images')
    metric: fid                 # what the searcher and scheduler optimise: a per-report metric
    mode: min
    scheduler: asha             # asha (Optuna's TPE picks trials) | pbt | pb2 (a population, no searcher)
    budget:                     # each trial's budget (raygan.budget.Budget)
      max_kimg: 192             # thousands of real images per trial (3,000 steps at batch 64)
      report_kimg: 16           # between reports (ASHA rungs, collapse checks; PBT's interval is
                                #   report_kimg * checkpoint_every)
      checkpoint_every: 1       # reports between checkpoints
      quick_num: 2000           # samples for the per-report metrics
      final_num: 10000          # samples for the exported generator's metrics
    search:                     # the search's own settings (SearchSettings)
      grace_kimg: 64            # what every trial gets before ASHA may stop it
      reduction_factor: 3       # ASHA keeps the best 1/reduction_factor at each rung
      final_kimg: 0             # the best trial then trains on to this many kimg in all (0: no final run)
      final_share: 0.5          # with --time-budget: the share of it the final run gets
    collapse: {d_acc_max: 0.99, min_classes: 2, min_diversity: 0.25, patience: 3, warmup_kimg: 32}
    fixed:                      # config values shared by every trial
      g_norm: batch
    params:                     # one distribution per searched config value
      lr_g: {dist: loguniform, low: 1.0e-5, high: 3.0e-3}
      beta1: {dist: uniform, low: 0.0, high: 0.9}
      d_dropout: {dist: quniform, low: 0.0, high: 0.5, q: 0.1}
      latent_dim: {dist: int, low: 16, high: 256, log: true}   # both ends included
      batch_size: {dist: choice, values: [32, 64, 128]}
    start_with:                 # asha only: configurations Optuna tries first (a measured winner),
      - {lr_g: 2.0e-4, beta1: 0.5}  #   each a value in range for some of params; the rest are sampled
    constraints:                # what a report must meet to rank before every report that does not
      label_acc: ">= 0.95"      #   (raygan.constraints): a per-report metric, '>= NUMBER' or '<= NUMBER'

Every value is checked before any trial starts, against the same validation as
``--set``: each range's ends and each choice must make a valid config.  Files written
before ``search:`` existed give its keys under ``budget:``; they still load, with a
warning saying where the keys go now.

The package: :mod:`~raygan.space.params` (a searched value and its Tune and Optuna forms),
:mod:`~raygan.space.search_space` (the validated space), :mod:`~raygan.space.parse` (a
mapping checked into one) and :mod:`~raygan.space.files` (space files, bundled or not).
"""
from raygan.space.files import BUNDLED_PACKAGE, bundled_spaces, describe, load_space
from raygan.space.params import DISTRIBUTIONS, Param
from raygan.space.parse import parse_space
from raygan.space.search_space import PERTURBABLE, SearchSettings, SearchSpace

__all__ = ["BUNDLED_PACKAGE", "DISTRIBUTIONS", "PERTURBABLE", "Param", "SearchSettings", "SearchSpace",
           "bundled_spaces", "describe", "load_space", "parse_space"]

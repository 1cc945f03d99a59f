"""raygan: tune GANs (MLP, DCGAN, conditional) on MNIST-style data with Ray Tune.

The public API: :func:`search` and :func:`train` (the two commands, from Python), configs and
budgets, data, models, the training engine and run loop, metrics and generator files.  The
Ray side (:mod:`raygan.tuning`) is imported on use, so that ``import raygan`` stays light
where Ray is not needed.  The command modules (``python -m raygan.search``) are not imported
here; once imported they shadow the functions of the same name, and call them when called
(:class:`raygan.cli.CommandModule`).
"""
from raygan.budget import Budget
from raygan.collapse import CollapseRules, collapse_reason
from raygan.config import GANConfig
from raygan.constraints import Constraint
from raygan.data import DatasetInfo, ImageData, dataset_info, load_dataset, open_source
from raygan.data.prepare import Prepared, prepare
from raygan.devices import pick_device
from raygan.errors import RayganError
from raygan.generator_file import load_generator, read_metadata, save_generator
from raygan.folder_run import train_run
from raygan.metrics import METRICS, Evaluator, Measurer, evaluate, evaluate_generator
from raygan.models import MODELS, build_models
from raygan.portable import to_onnx, to_torchscript
from raygan.run_loop import RunPlan, run_loop
from raygan.search_api import SearchResult, search
from raygan.space import SearchSpace, load_space
from raygan.train_api import TrainResult, train
from raygan.trainer import GANTrainer
from raygan.version import __version__

__all__ = ["Budget", "CollapseRules", "Constraint", "DatasetInfo", "Evaluator", "GANConfig", "GANTrainer", "ImageData",
           "METRICS", "MODELS", "Measurer", "Prepared", "RayganError", "RunPlan", "SearchResult", "SearchSpace",
           "TrainResult", "build_models", "collapse_reason", "dataset_info", "evaluate", "evaluate_generator",
           "load_dataset", "load_generator", "load_space", "open_source", "pick_device", "prepare", "read_metadata",
           "run_loop", "save_generator", "to_onnx", "to_torchscript", "search", "train", "train_run", "__version__"]

"""raygan: tune GANs (MLP, DCGAN, conditional) on MNIST-style data with Ray Tune.

The public API: configs and budgets, data, models, the training engine and run loop,
metrics and generator files.  The Ray side (:mod:`raygan.tuning`) is imported on use, so
that ``import raygan`` stays light where Ray is not needed.
"""
__version__ = "0.1.0"

from raygan.budget import Budget  # noqa: E402
from raygan.collapse import CollapseRules, collapse_reason  # noqa: E402
from raygan.config import GANConfig  # noqa: E402
from raygan.data import DatasetInfo, ImageData, dataset_info, load_dataset, open_source  # noqa: E402
from raygan.data.prepare import Prepared, prepare  # noqa: E402
from raygan.devices import pick_device  # noqa: E402
from raygan.trainer import GANTrainer  # noqa: E402
from raygan.errors import RayganError  # noqa: E402
from raygan.export import load_generator, read_metadata, save_generator  # noqa: E402
from raygan.run_loop import RunPlan, run_loop  # noqa: E402
from raygan.metrics import METRICS, Evaluator, Measurer, evaluate, evaluate_generator  # noqa: E402
from raygan.models import MODELS, build_models  # noqa: E402
from raygan.folder_run import train_run  # noqa: E402
from raygan.space import SearchSpace, load_space  # noqa: E402

__all__ = ["Budget", "CollapseRules", "DatasetInfo", "Evaluator", "GANConfig", "GANTrainer", "ImageData", "METRICS",
           "MODELS", "Measurer", "Prepared", "RayganError", "RunPlan", "SearchSpace", "build_models",
           "collapse_reason", "dataset_info", "evaluate", "evaluate_generator", "load_dataset", "load_generator",
           "load_space", "open_source", "pick_device", "prepare", "read_metadata", "run_loop", "save_generator",
           "train_run", "__version__"]

"""raygan: tune GANs (MLP, DCGAN, conditional) on MNIST-style data with Ray Tune.

The public API: configs, data, models, the training engine, metrics and generator files.
The Ray side (:mod:`raygan.tuning`, :mod:`raygan.trainable`) is imported on use, so that
``import raygan`` stays light where Ray is not needed.
"""
__version__ = "0.1.0"

from raygan.collapse import CollapseRules, collapse_reason  # noqa: E402
from raygan.config import GANConfig  # noqa: E402
from raygan.data import ImageData, load_dataset  # noqa: E402
from raygan.engine import GANTrainer  # noqa: E402
from raygan.errors import RayganError  # noqa: E402
from raygan.export import load_generator, read_metadata, save_generator  # noqa: E402
from raygan.metrics import evaluate, evaluate_generator  # noqa: E402
from raygan.models import build_models  # noqa: E402
from raygan.space import SearchSpace, load_space  # noqa: E402

__all__ = ["CollapseRules", "GANConfig", "GANTrainer", "ImageData", "RayganError", "SearchSpace", "build_models",
           "collapse_reason", "evaluate", "evaluate_generator", "load_dataset", "load_generator", "load_space",
           "read_metadata", "save_generator", "__version__"]

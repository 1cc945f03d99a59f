"""raygan: tune GANs (MLP, DCGAN, conditional) on MNIST-style data with Ray Tune."""
__version__ = "0.1.0"

from raygan.config import GANConfig  # noqa: E402
from raygan.data import ImageData, load_dataset  # noqa: E402
from raygan.engine import GANTrainer  # noqa: E402
from raygan.errors import RayganError  # noqa: E402
from raygan.export import load_generator, read_metadata, save_generator  # noqa: E402
from raygan.models import build_models  # noqa: E402

__all__ = ["GANConfig", "GANTrainer", "ImageData", "RayganError", "build_models", "load_dataset",
           "load_generator", "read_metadata", "save_generator", "__version__"]

"""Generator files: safetensors weights plus the metadata needed to rebuild the module.

Safetensors holds only tensors and a string-to-string header, so loading a file a user
hands us can never execute code (unlike a pickle).  The header carries the format name
and version, the model config (its constructor arguments), the dataset and image shape,
and whatever a caller adds (hyper-parameters, metrics).
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from raygan.atomic import atomic_path
from raygan.config import GANConfig
from raygan.data import IMAGE_SHAPE, NUM_CLASSES
from raygan.errors import RayganError
from raygan.models import Generator, build_generator

FORMAT = "raygan-generator"
FORMAT_VERSION = 1


def save_generator(path, generator: Generator, config: GANConfig, extra: dict | None = None) -> Path:
    """Write ``generator`` to ``path`` atomically; ``extra`` values are stored as JSON."""
    from raygan import __version__

    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "raygan_version": __version__,
                "model": config.model, "dataset": config.dataset, "config": json.dumps(config.to_dict()),
                "image_shape": json.dumps(list(IMAGE_SHAPE)), "num_classes": str(NUM_CLASSES)}
    for key, value in (extra or {}).items():
        metadata[key] = json.dumps(value)
    tensors = {name: t.detach().cpu().contiguous() for name, t in generator.state_dict().items()}
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def read_metadata(path) -> dict:
    """The header of a generator file, JSON values decoded; RayganError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise RayganError(f"generator file {path} does not exist; pass the .safetensors file a run exported")
    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = fh.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise RayganError(f"{path} is not a safetensors file ({err}); pass a generator exported by raygan") from None
    if raw.get("format") != FORMAT:
        raise RayganError(f"{path} is not a raygan generator (format {raw.get('format')!r}); "
                          "pass a file written by raygan's export")
    version = int(raw.get("format_version", "0"))
    if version > FORMAT_VERSION:
        raise RayganError(f"{path} uses generator format {version}, newer than this raygan reads "
                          f"({FORMAT_VERSION}); upgrade raygan")
    out = {}
    for key, value in raw.items():
        try:
            out[key] = json.loads(value) if key not in ("format", "model", "dataset", "raygan_version") else value
        except json.JSONDecodeError:
            raise RayganError(f"{path} has a corrupt '{key}' header; re-export the generator") from None
    return out


def load_generator(path, device="cpu") -> Generator:
    """Rebuild the exported generator on ``device``, in eval mode, ready for ``.sample(n, labels)``."""
    metadata = read_metadata(path)
    config = GANConfig.from_dict(metadata["config"], source=str(path))
    generator = build_generator(config)
    try:
        tensors = load_file(str(path))
        generator.load_state_dict(tensors, strict=True)
    except (SafetensorError, RuntimeError, OSError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RayganError(f"{path} is corrupt or does not match its config ({first_line}); re-export it") from None
    generator.metadata = metadata
    return generator.to(device).eval()


"""Generators that run without raygan: ONNX (onnxruntime, in any language) and TorchScript (libtorch, C++).

Both formats hold the generator of a raygan generator file, the weight average when it has one: exactly
what :func:`~raygan.generator_file.load_generator` samples.  Its signature is ``z`` (float32
``[N, latent_dim]``) and, for conditional models only, ``labels`` (int64 ``[N]``, in
``0..num_classes-1``), to ``images`` (float32 ``[N, C, H, W]`` in [-1, 1]); N is free.  Beside it
goes what a caller needs to use it without raygan (:func:`portable_metadata`): ONNX keeps each field
in the model's ``metadata_props`` as JSON text (onnxruntime: ``get_modelmeta().custom_metadata_map``),
TorchScript the whole record as the extra file ``raygan.json``.
"""
from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from raygan.atomic import atomic_path
from raygan.errors import RayganError
from raygan.generator_file import load_generator
from raygan.models import Generator
from raygan.version import __version__

OUTPUT_RANGE = (-1.0, 1.0)
TORCHSCRIPT_METADATA = "raygan.json"  # the extra file in a TorchScript archive that holds the metadata
EXAMPLE_BATCH = 2  # torch.export fixes a dimension whose example size is 0 or 1; 2 keeps the batch axis free


class PortableGenerator(nn.Module):
    """The exported signature, fixed apart from :class:`~raygan.models.Generator`'s Python API:
    ``(z[, labels]) -> images``."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels)


def portable_metadata(generator: Generator) -> dict:
    """What a caller needs beside the network, from a loaded generator and its checked header; the raygan
    version is the one that writes the portable file (whose layout it defines)."""
    return {"model": generator.metadata["model"], "dataset": generator.info.name, "latent_dim": generator.latent_dim,
            "num_classes": generator.num_classes, "class_names": list(generator.info.class_names),
            "image_shape": list(generator.image_shape), "output_range": list(OUTPUT_RANGE),
            "inputs": ["z", "labels"] if generator.conditional else ["z"],
            "raygan_version": __version__, "metrics": generator.metadata.get("metrics")}


def _portable(source) -> tuple[PortableGenerator, tuple[torch.Tensor, ...], dict]:
    """The wrapped generator of the file ``source`` (in eval mode), example inputs, and its metadata."""
    generator = load_generator(source)
    inputs = (torch.zeros(EXAMPLE_BATCH, generator.latent_dim),)
    if generator.conditional:
        inputs += (torch.zeros(EXAMPLE_BATCH, dtype=torch.long),)
    return PortableGenerator(generator).eval(), inputs, portable_metadata(generator)


def check_onnx_support() -> None:
    """The packages that writing ONNX needs are installed; else one line with the fix."""
    missing = [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]
    if missing:
        raise RayganError(f"writing ONNX needs {' and '.join(missing)}, not installed here; "
                          "pip install 'raygan[onnx]'")


def to_onnx(source, path) -> Path:
    """Write the generator of the raygan generator file ``source`` to ``path`` as ONNX, atomically.

    The exporter is torch.export's (``dynamo=True``, torch's default and the one it maintains; it
    needs onnxscript): the TorchScript-based one is deprecated and warns on every use.  A dynamic
    ``batch`` dimension is shared by ``z``, ``labels`` and ``images``.
    """
    check_onnx_support()
    module, inputs, metadata = _portable(source)
    names = metadata["inputs"]
    # labels' batch is z's (the model joins them): AUTO lets torch.export find that, where a second "batch"
    # would make the exporter warn that the name is taken
    shapes = {"z": {0: torch.export.Dim("batch")}, "labels": {0: torch.export.Dim.AUTO}}
    program = torch.onnx.export(module, inputs, dynamo=True, input_names=names, output_names=["images"],
                                dynamic_shapes={name: shapes[name] for name in names}, verbose=False)
    model = program.model_proto
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=json.dumps(value))
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(model.SerializeToString())
    return path


def to_torchscript(source, path) -> Path:
    """Write the generator of the raygan generator file ``source`` to ``path`` as TorchScript, atomically.

    The module is traced: its graph holds no Python, so libtorch's ``torch::jit::load`` runs it in
    C++.  The batch size stays free, as the models reshape with -1 and read other sizes from their inputs.
    """
    module, inputs, metadata = _portable(source)
    path = Path(path)
    with warnings.catch_warnings(), atomic_path(path) as tmp:
        # torch deprecates TorchScript in favour of torch.export; a user who asked for TorchScript (for
        # libtorch's torch::jit::load) needs no warning about it
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=FutureWarning)
        torch.jit.save(torch.jit.trace(module, inputs), str(tmp),
                       _extra_files={TORCHSCRIPT_METADATA: json.dumps(metadata)})
    return path

"""ONNX and TorchScript generators run without raygan and sample as ``raygan.load_generator`` does.

Every model at 28 and 32 pixels, grey and colour (each architecture, and conditional and unconditional
models alike, in all four pairings), one of them trained on real MNIST with a weight average.  One
process per format, in which importing raygan fails, loads every file with onnxruntime or
``torch.jit.load`` alone, runs it at batch sizes 1 and 5 on the noise (and labels) raygan drew, and
reads the metadata back.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.data.info import FOLDER, DatasetInfo, dataset_info
from raygan.generator_file import load_generator, save_generator, save_trainer_generator
from raygan.models import build_generator
from raygan.portable import to_onnx, to_torchscript
from raygan.trainer import GANTrainer
from raygan.version import __version__
from tests.conftest import small_nets

COLOURS = ("red", "green", "blue")
# name: (model, channels, size, classes, config values beyond small nets); "mnist" is trained on real MNIST
CASES = {
    "gan-28-grey-mnist": ("gan", 1, 28, 10, {}),
    "gan-32-colour": ("gan", 3, 32, 0, {"g_norm": "none"}),
    "cgan-28-colour": ("cgan", 3, 28, 3, {"cond": "input"}),
    "cgan-32-grey": ("cgan", 1, 32, 3, {"cond": "hidden", "label_embedding": 4}),
    "dcgan-28-colour": ("dcgan", 3, 28, 0, {}),
    "dcgan-32-grey": ("dcgan", 1, 32, 0, {}),
    "cdcgan-28-grey-mnist": ("cdcgan", 1, 28, 10, {"cond": "hidden", "label_embedding": 4}),
    "cdcgan-32-colour": ("cdcgan", 3, 32, 3, {"cond": "input"}),
    "cdcgan-32-colour-cbn": ("cdcgan", 3, 32, 3, {"g_cond": "cbn", "d_cond": "projection"}),
    "cgan-28-grey-cbn-mnist": ("cgan", 1, 28, 10, {"g_cond": "cbn", "d_cond": "ac"}),
    "dcgan-32-colour-clusters": ("dcgan", 3, 32, 0, {"clusters": 4}),  # the cluster is chosen from z inside
}
FORMATS = {"onnx": to_onnx, "torchscript": to_torchscript}
BATCHES = (1, 5)
MAX_DIFF = 1e-4

# Every process here starts with this: importing raygan fails there (and is recorded), whatever sys.path holds.
NO_RAYGAN = r'''
import importlib.abc, json, sys

class NoRaygan(importlib.abc.MetaPathFinder):
    def __init__(self):
        self.tried = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "raygan":
            self.tried.append(name)
            raise ImportError(f"{name} must not be imported here")
        return None

finder = NoRaygan()
sys.meta_path.insert(0, finder)
'''
# ... and ends with this: its one attempt at raygan, the only one recorded, shows that the finder was in place.
RAYGAN_CHECK = r'''
try:
    import raygan  # noqa: F401
except ImportError:
    pass
print(json.dumps({"tried": finder.tried, "loaded": sorted(m for m in sys.modules if m.split(".")[0] == "raygan")}))
'''
# Loads every file of one format and runs it on the noise and labels raygan drew.
RUNTIME = r'''
import numpy as np

fmt, manifest = sys.argv[1], json.loads(sys.argv[2])
if fmt == "onnx":
    import onnxruntime

    def load(path):
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        meta = {key: json.loads(value) for key, value in session.get_modelmeta().custom_metadata_map.items()}
        names = [i.name for i in session.get_inputs()]
        batch_axes = [i.shape[0] for i in session.get_inputs() + session.get_outputs()]
        return meta, names, batch_axes, lambda inputs: session.run(["images"], dict(zip(names, inputs)))[0]
else:
    import torch

    def load(path):
        extra = {"raygan.json": ""}
        module = torch.jit.load(path, _extra_files=extra)
        names = [arg.name for arg in module.forward.schema.arguments[1:]]
        return (json.loads(extra["raygan.json"]), names, None,
                lambda inputs: module(*map(torch.from_numpy, inputs)).detach().numpy())

out = {}
for name, (path, arrays) in manifest.items():
    meta, names, batch_axes, run = load(path)
    data = np.load(arrays)
    result = out[name] = {"metadata": meta, "inputs": names, "batch_axes": batch_axes, "runs": {}}
    for n in (1, 5):
        images = run([data[f"{key}{n}"] for key in names])
        result["runs"][n] = {"shape": list(images.shape), "dtype": str(images.dtype),
                             "max_diff": float(np.abs(images - data[f"expected{n}"]).max())}
print(json.dumps(out))
'''


def run_without_raygan(code: str, *args: str, cwd) -> tuple[list, dict]:
    """Run ``code`` in a fresh Python that cannot import raygan; the JSON lines it printed, and what the
    check at its end found (``{"tried": ["raygan"], "loaded": []}`` when it never imported raygan)."""
    done = subprocess.run([sys.executable, "-I", "-c", NO_RAYGAN + code + RAYGAN_CHECK, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    *printed, check = [json.loads(line) for line in done.stdout.splitlines()]
    return printed, check


def _info(channels: int, size: int, classes: int) -> DatasetInfo:
    names = tuple(COLOURS[:classes]) if classes != 10 else dataset_info("mnist").class_names
    return DatasetInfo(f"tiny_{channels}x{size}", (channels, size, size), names, fingerprint="f00d", kind=FOLDER)


def _write_generator(path, name: str, mnist):
    model, channels, size, classes, values = CASES[name]
    config = GANConfig.from_dict({"model": model, "latent_dim": 12, **small_nets(model, hidden=(16, 32), width=4),
                                  **values, "dataset": "mnist" if name.endswith("mnist") else FOLDER,
                                  "ema_kimg": 0.1, "batch_size": 16})
    if name.endswith("mnist"):  # a few real steps: trained weights, batch-norm statistics and their average
        trainer = GANTrainer(config, mnist)
        trainer.run_steps(4, 4)
        return save_trainer_generator(path, trainer, {"fid": 123.5, "num_samples": 500})
    torch.manual_seed(len(name))
    info = _info(channels, size, classes)
    generator = build_generator(config, info)
    if values.get("clusters"):  # uneven shares of its clusters, as a trained one has
        generator.set_shares(torch.tensor([0.4, 0.3, 0.2, 0.1]))
    return save_generator(path, generator, config, info)


def _inputs_and_samples(path, arrays):
    """Noise and labels for batches of 1 and 5, and what raygan's own ``sample`` draws from them."""
    generator = load_generator(path)
    values = {}
    for n in BATCHES:
        seed = torch.Generator().manual_seed(n)
        values[f"z{n}"] = torch.randn(n, generator.latent_dim, generator=seed).numpy()
        labels = (torch.arange(n) + 2) % generator.num_classes if generator.conditional else None
        if labels is not None:
            values[f"labels{n}"] = labels.numpy()
        values[f"expected{n}"] = generator.sample(n, labels, generator=torch.Generator().manual_seed(n)).numpy()
    np.savez(arrays, **values)
    return arrays


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory, mnist_dir):
    """{format: what the raygan-free process printed, and its check}, the generators it ran (name -> loaded)
    and the folder of every file."""
    folder = tmp_path_factory.mktemp("portable")
    mnist = load_dataset("mnist", mnist_dir, "train")
    manifests = {fmt: {} for fmt in FORMATS}
    generators = {}
    for name in CASES:
        source = _write_generator(folder / f"{name}.safetensors", name, mnist)
        generators[name] = load_generator(source)
        arrays = _inputs_and_samples(source, folder / f"{name}.npz")
        for fmt, write in FORMATS.items():
            manifests[fmt][name] = (str(write(source, folder / f"{name}.{fmt}")), str(arrays))
    reports = {fmt: run_without_raygan(RUNTIME, fmt, json.dumps(manifest), cwd=folder)
               for fmt, manifest in manifests.items()}
    return reports, generators, folder


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_runtime_never_imported_raygan(runtimes, fmt):
    (cases,), check = runtimes[0][fmt]
    assert check == {"tried": ["raygan"], "loaded": []}
    assert set(cases) == set(CASES)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_samples_match_raygan_at_any_batch_size_with_the_metadata_beside_them(runtimes, fmt, name):
    reports, generators, _ = runtimes
    report, generator = reports[fmt][0][0][name], generators[name]
    inputs = ["z", "labels"] if generator.conditional else ["z"]
    assert report["inputs"] == inputs
    if fmt == "onnx":  # one named dynamic batch axis on every input and the output
        assert report["batch_axes"] == ["batch"] * (len(inputs) + 1)
    for n in BATCHES:
        run = report["runs"][str(n)]
        assert run["shape"] == [n, *generator.image_shape] and run["dtype"] == "float32"
        assert run["max_diff"] <= MAX_DIFF, run
    model, channels, size, classes, _ = CASES[name]
    header = generator.metadata
    assert report["metadata"] == {
        "model": model, "dataset": "mnist" if name.endswith("mnist") else f"tiny_{channels}x{size}",
        "latent_dim": 12, "num_classes": classes, "class_names": list(generator.info.class_names),
        "image_shape": [channels, size, size], "output_range": [-1.0, 1.0], "inputs": inputs,
        "raygan_version": __version__, "metrics": header.get("metrics")}
    assert len(report["metadata"]["class_names"]) == classes
    if name.endswith("mnist"):
        assert report["metadata"]["metrics"] == {"fid": 123.5, "num_samples": 500}


@pytest.mark.parametrize("name", ["cdcgan-28-grey-mnist", "gan-32-colour"])
def test_the_readme_example_writes_a_grid_without_raygan(runtimes, tmp_path, name):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(import json, numpy as np, onnxruntime\n.*?)```", readme, re.DOTALL).group(1)
    assert len(example.splitlines()) <= 12
    shutil.copy(runtimes[2] / f"{name}.onnx", tmp_path / "generator.onnx")
    printed, check = run_without_raygan(example, cwd=tmp_path)
    assert check == {"tried": ["raygan"], "loaded": []} and printed == []
    _, channels, size, classes, _ = CASES[name]
    rows = classes or 8
    header = f"P{5 if channels == 1 else 6} {8 * size} {rows * size} 255\n".encode()
    grid = (tmp_path / "grid.pnm").read_bytes()
    assert grid.startswith(header) and len(grid) == len(header) + rows * size * 8 * size * channels
    pixels = np.frombuffer(grid[len(header):], dtype=np.uint8)
    assert pixels.std() > 10  # images, not a blank page

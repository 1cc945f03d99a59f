"""Generator files: safetensors weights plus the metadata needed to rebuild the module.

Safetensors holds only tensors and a string-to-string header, so loading a file a user
hands us can never execute code (unlike a pickle).  The header carries the format name
and version, the model config (its constructor arguments), the dataset with its image
shape and class names, and whatever a caller adds (steps, a metric record, hyper-parameters).
Every header field is checked on load: a missing, mistyped or inconsistent field is a
one-line :class:`~raygan.errors.RayganError` naming the field, never a traceback.

A search trial's best generator file also carries G's own weights when the generator is
their average, as ``raw.``-prefixed tensors in half precision: the export measures them only
for ``fid_raw``, a comparison that the rounding does not move (bench/RESULTS.md), and an
export itself never holds them.  :func:`load_generator` skips them; :func:`load_raw_generator`
reads them.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from raygan.atomic import atomic_path
from raygan.config import GANConfig
from raygan.data.info import FOLDER, IDX, KNOWN_DATASETS, DatasetInfo, dataset_info
from raygan.errors import RayganError, first_line
from raygan.models import MODELS, Generator, build_generator

FORMAT = "raygan-generator"
FORMAT_VERSION = 1
PLAIN_STRINGS = ("format", "format_version", "raygan_version", "model", "dataset")  # stored as is, not as JSON
RAW_PREFIX = "raw."  # G's own weights beside their average, in a trial's best generator file
RAW_DTYPE = torch.float16
_REEXPORT = "re-export the generator with raygan"


def _cpu_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().cpu().contiguous() for name, t in module.state_dict().items()}


def save_weights(path, module: torch.nn.Module, metadata: dict[str, str],
                 more: dict[str, torch.Tensor] | None = None) -> Path:
    """Write ``module``'s state dict (on the CPU), the tensors ``more`` and a string header to ``path``, atomically."""
    tensors = {**_cpu_tensors(module), **(more or {})}
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def save_generator(path, generator: Generator, config: GANConfig, info: DatasetInfo | None = None,
                   extra: dict | None = None, raw: Generator | None = None) -> Path:
    """Write ``generator`` to ``path`` atomically; ``extra`` values are stored as JSON.

    ``info`` (image shape and class names) defaults to the config's dataset.  ``raw``: G's own
    weights when ``generator`` is their average, stored beside it in half precision (see the module's docstring).
    """
    from raygan.version import __version__

    info = info or dataset_info(config.dataset)
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "raygan_version": __version__,
                "model": config.model, "dataset": config.dataset, "config": json.dumps(config.to_dict()),
                "image_shape": json.dumps(list(info.image_shape)), "num_classes": json.dumps(info.num_classes),
                "class_names": json.dumps(list(info.class_names))}
    if info.kind == FOLDER:  # an image folder: its name and the data the evaluator was trained on
        metadata.update(dataset_name=json.dumps(info.name), data_fingerprint=json.dumps(info.fingerprint))
    for key, value in (extra or {}).items():
        metadata[key] = json.dumps(value)
    more = None
    if raw is not None:
        more = {RAW_PREFIX + name: t.to(RAW_DTYPE) if t.is_floating_point() else t
                for name, t in _cpu_tensors(raw).items()}
    return save_weights(path, generator, metadata, more)


def save_trainer_generator(path, trainer, metrics: dict | None, with_raw: bool = False) -> Path:
    """The generator of a :class:`~raygan.trainer.GANTrainer` (its weight average, if kept) with its step,
    the kimg it trained on and a metric record; ``with_raw``: and G's own weights beside their average."""
    raw = trainer.generator if with_raw and trainer.generator_ema is not None else None
    return save_generator(path, trainer.sampling_generator, trainer.config, trainer.info,
                          extra={"steps": trainer.step, "kimg": trainer.images / 1000, "metrics": metrics}, raw=raw)


def read_metadata(path) -> dict:
    """The checked header of a generator file, JSON values decoded; RayganError if it is not one."""
    path = Path(path)
    if path.is_dir():
        raise RayganError(f"{path} is a folder; pass the generator .safetensors file inside it")
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
    out = {}
    for key, value in raw.items():
        if key in PLAIN_STRINGS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            raise RayganError(f"{path} has a corrupt '{key}' header; {_REEXPORT}") from None
    _check_header(out, path)
    return out


def _check_header(meta: dict, path: Path) -> None:
    """Every field a loader relies on is present, of its type and consistent; else one line naming it."""
    def bad(key: str, what: str):
        return RayganError(f"{path}: header field '{key}' {what}; {_REEXPORT}")

    version = meta.get("format_version")
    if version is None:
        raise bad("format_version", "is missing")
    if not re.fullmatch(r"[1-9][0-9]{0,5}", version):
        raise bad("format_version", f"must be a whole number >= 1, got {version!r}")
    if int(version) > FORMAT_VERSION:  # a newer format may have other fields: say so before checking them
        raise RayganError(f"{path} uses generator format {version}, newer than this raygan reads "
                          f"({FORMAT_VERSION}); upgrade raygan")
    meta["format_version"] = int(version)
    for key in ("raygan_version", "model", "dataset", "config", "image_shape", "num_classes"):
        if key not in meta:
            raise bad(key, "is missing")
    if meta["model"] not in MODELS:
        raise bad("model", f"names an unknown model {meta['model']!r} (known: {', '.join(MODELS)})")
    shape = meta["image_shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(_whole(n) and n >= 1 for n in shape)):
        raise bad("image_shape", f"must be [channels, height, width] of positive whole numbers, got {shape!r}")
    classes = meta["num_classes"]
    if not (_whole(classes) and classes >= 0):
        raise bad("num_classes", f"must be a whole number >= 0 (0: unlabelled images), got {classes!r}")
    names = meta.get("class_names")
    if names is not None and not (isinstance(names, list) and len(names) == classes
                                  and all(isinstance(n, str) for n in names)):
        raise bad("class_names", f"must list {classes} class names as strings")
    if not isinstance(meta["config"], dict):
        raise bad("config", f"must be a JSON object of config values, got {type(meta['config']).__name__}")
    try:
        config = GANConfig.from_saved(meta["config"], source=f"{path}: header field 'config'")
    except RayganError as err:
        raise RayganError(f"{err}; {_REEXPORT}") from None
    for key in ("model", "dataset"):
        if getattr(config, key) != meta[key]:
            raise bad(key, f"says {meta[key]!r} but the config says {getattr(config, key)!r}")
    if meta.get("steps") is not None and not (_whole(meta["steps"]) and meta["steps"] >= 0):
        raise bad("steps", f"must be a whole number >= 0, got {meta['steps']!r}")
    kimg = meta.get("kimg")
    if kimg is not None and not (isinstance(kimg, (int, float)) and not isinstance(kimg, bool) and kimg >= 0):
        raise bad("kimg", f"must be a number >= 0, got {kimg!r}")
    for key in ("dataset_name", "data_fingerprint"):
        if meta.get(key) is not None and not (isinstance(meta[key], str) and re.fullmatch(r"[a-z0-9_]{1,64}",
                                                                                          meta[key])):
            raise bad(key, f"must be a short lower-case name, got {meta[key]!r}")
    for key in ("metrics", "hyperparameters", "search_space", "search_metric"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise bad(key, f"must be a JSON object, got {type(meta[key]).__name__}")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def dataset_of(metadata: dict) -> DatasetInfo:
    """The dataset a generator file was trained on, as recorded in its (checked) header."""
    known = KNOWN_DATASETS.get(metadata["dataset"])
    names = metadata.get("class_names") or (
        list(known.class_names) if known and known.num_classes == metadata["num_classes"]
        else [str(i) for i in range(metadata["num_classes"])])
    return DatasetInfo(metadata.get("dataset_name") or metadata["dataset"], tuple(metadata["image_shape"]),
                       tuple(names), metadata.get("data_fingerprint") or "",
                       kind=FOLDER if metadata["dataset"] == FOLDER else IDX)


def load_generator(path, device="cpu") -> Generator:
    """Rebuild the exported generator on ``device``, in eval mode, ready for ``.sample(n, labels)``.

    ``generator.metadata`` holds the checked header and ``generator.info`` its dataset.  A config key
    that has no effect on the model (raygan wrote such keys before it refused them) is ignored.
    """
    metadata = read_metadata(path)
    config = GANConfig.from_saved(metadata["config"])
    info = dataset_of(metadata)
    try:
        generator = build_generator(config, info)
    except RayganError as err:
        raise RayganError(f"{path}: {err}; {_REEXPORT}") from None
    try:
        tensors = load_file(str(path))
        generator.load_state_dict({k: t for k, t in tensors.items() if not k.startswith(RAW_PREFIX)}, strict=True)
    except (SafetensorError, RuntimeError, OSError) as err:
        raise RayganError(f"{path} is corrupt or does not match its config ({first_line(err)}); re-export it") from None
    generator.metadata = metadata
    generator.info = info
    return generator.to(device).eval()


def load_raw_generator(path, generator: Generator) -> Generator | None:
    """G's own weights from the file ``generator`` was loaded from (:func:`load_generator`), in a copy of it,
    when the file holds them beside their average; else None."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            names = [k for k in fh.keys() if k.startswith(RAW_PREFIX)]
            tensors = {k.removeprefix(RAW_PREFIX): fh.get_tensor(k) for k in names}
        if not tensors:
            return None
        raw = copy.deepcopy(generator)
        dtypes = {name: t.dtype for name, t in raw.state_dict().items()}
        raw.load_state_dict({name: t.to(dtypes.get(name, t.dtype)) for name, t in tensors.items()}, strict=True)
    except (SafetensorError, RuntimeError, OSError) as err:
        raise RayganError(f"{path} is corrupt or does not match its config ({first_line(err)}); re-export it") from None
    return raw.eval()

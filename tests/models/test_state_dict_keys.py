"""The generator's and discriminator's state_dict keys and shapes, in order, never change.

Checkpoints and exports store these names and load with ``strict=True``; their order is the
order in which the parameters are created, which decides seeded initialisation.
``state_dict_keys.json`` was written by the loop below run on the models as they were at
commit 5318ccf (before conditioning had its own module), and is the reference for every
model, conditioning and label coding, image size and discriminator norm.
"""
import json
from pathlib import Path

import pytest

from raygan.config import GANConfig
from raygan.data import DatasetInfo
from raygan.models import build_discriminator, build_generator

EXPECTED = json.loads((Path(__file__).with_name("state_dict_keys.json")).read_text())
CLASSES = tuple(f"c{i}" for i in range(10))
VARIANTS = [("gan", None, 0), ("cgan", "input", 0), ("cgan", "input", 16), ("cgan", "hidden", 0),
            ("cgan", "hidden", 16), ("dcgan", None, 0), ("cdcgan", "input", 0), ("cdcgan", "input", 8),
            ("cdcgan", "hidden", 0), ("cdcgan", "hidden", 8)]  # (model, cond, label_embedding)


def _cases():
    """(generator id, discriminator id, config, dataset info) for every combination in the reference."""
    for model, cond, embedding in VARIANTS:
        mlp = model in ("gan", "cgan")
        for size, channels in ((28, 1), (32, 3)) if mlp else ((28, 1), (32, 3), (64, 3)):
            for norm in ("none", "spectral") if mlp else ("batch", "spectral", "none"):
                values = {"model": model, "dataset": "folder", "latent_dim": 12, "d_norm": norm,
                          # unconditional: the plain nets the reference holds (a self-conditioned one wraps them)
                          **({"cond": cond, "label_embedding": embedding} if cond else {"clusters": 0}),
                          **({"g_hidden": [16, 24], "d_hidden": [24, 16]} if mlp else {"g_width": 8, "d_width": 8})}
                info = DatasetInfo("t", (channels, size, size), CLASSES, fingerprint="f" * 16)
                variant = "-".join(map(str, [model, *([cond, embedding] if cond else []), f"{size}x{channels}"]))
                yield variant, f"{variant}-{norm}", GANConfig.from_dict(values), info


def _described(net) -> list[str]:
    return [f"{key} {list(value.shape)}" for key, value in net.state_dict().items()]


@pytest.mark.parametrize("generator_id, discriminator_id, config, info",
                         [pytest.param(*case, id=case[1]) for case in _cases()])
def test_keys_and_shapes_match_the_reference(generator_id, discriminator_id, config, info):
    assert _described(build_generator(config, info)) == EXPECTED["generator"][generator_id]
    assert _described(build_discriminator(config, info)) == EXPECTED["discriminator"][discriminator_id]


def test_the_reference_covers_every_case():
    cases = list(_cases())
    assert {g for g, _, _, _ in cases} == set(EXPECTED["generator"])
    assert {d for _, d, _, _ in cases} == set(EXPECTED["discriminator"])

"""Generator files: reload gives identical samples; broken, foreign and newer files are refused."""
import json

import pytest
import torch
from safetensors.torch import save_file

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.export import FORMAT_VERSION, load_generator, read_metadata, save_generator
from raygan.models import build_generator


@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan", "cdcgan"])
def test_reload_gives_identical_samples(tmp_path, model):
    config = GANConfig.from_dict({"model": model, "latent_dim": 16, "g_width": 8, "g_hidden": [32, 64],
                                  "cond": "hidden"})
    torch.manual_seed(0)
    generator = build_generator(config)
    path = save_generator(tmp_path / "g.safetensors", generator, config, extra={"steps": 12})
    loaded = load_generator(path)
    labels = torch.arange(8) % 10 if config.conditional else None
    expected = generator.sample(8, labels, generator=torch.Generator().manual_seed(5))
    got = loaded.sample(8, labels, generator=torch.Generator().manual_seed(5))
    assert torch.equal(expected, got)
    meta = read_metadata(path)
    assert (meta["model"], meta["dataset"], meta["steps"], meta["image_shape"]) == (model, "mnist", 12, [1, 28, 28])
    assert meta["num_classes"] == 10 and meta["format_version"] == FORMAT_VERSION
    assert meta["config"] == config.to_dict()


def test_missing_file(tmp_path):
    with pytest.raises(RayganError, match="does not exist"):
        load_generator(tmp_path / "nope.safetensors")


def test_corrupt_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(RayganError, match="not a safetensors file"):
        load_generator(path)


def test_malicious_pickle_is_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("open(%r, 'w').write('pwned')" % str(tmp_path / "pwned"),))

    path = tmp_path / "evil.safetensors"
    torch.save({"x": Boom()}, path)
    with pytest.raises(RayganError):
        load_generator(path)
    assert not (tmp_path / "pwned").exists()


def test_foreign_and_newer_files(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign), metadata={"format": "someone-else"})
    with pytest.raises(RayganError, match="not a raygan generator"):
        load_generator(foreign)
    newer = tmp_path / "newer.safetensors"
    save_file({"w": torch.zeros(2)}, str(newer), metadata={"format": "raygan-generator",
                                                          "format_version": str(FORMAT_VERSION + 1)})
    with pytest.raises(RayganError, match="upgrade raygan"):
        load_generator(newer)


def test_truncated_weights(tmp_path):
    config = GANConfig(latent_dim=8, g_hidden=(16,))
    path = save_generator(tmp_path / "g.safetensors", build_generator(config), config)
    raw = path.read_bytes()
    path.write_bytes(raw[:-40])
    with pytest.raises(RayganError):
        load_generator(path)


def test_failed_export_keeps_the_previous_file(tmp_path, monkeypatch):
    config = GANConfig(latent_dim=8, g_hidden=(16,))
    path = save_generator(tmp_path / "g.safetensors", build_generator(config), config, extra={"run": 1})
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("raygan.export.save_file", disk_full)
    with pytest.raises(RayganError, match="No space left"):
        save_generator(path, build_generator(config), config, extra={"run": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.safetensors"]  # no temporary left behind
    assert json.loads(json.dumps(read_metadata(path)["run"])) == 1

"""Generator files: reload gives identical samples; broken, foreign and newer files are refused."""
import json

import pytest
import torch
from safetensors.torch import save_file

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.generator_file import (FORMAT_VERSION, RAW_DTYPE, load_generator, load_raw_generator, read_metadata,
                           save_generator, save_trainer_generator)
from raygan.models import build_generator
from tests.conftest import small_nets


@pytest.mark.parametrize("model, conditioning", [("gan", {}), ("dcgan", {}), ("cgan", {"cond": "hidden"}),
                                                 ("cdcgan", {"cond": "hidden"}), ("cgan", {"g_cond": "cbn"}),
                                                 ("cdcgan", {"g_cond": "cbn", "d_cond": "projection"})])
def test_reload_gives_identical_samples(tmp_path, model, conditioning):
    config = GANConfig.from_dict({"model": model, "latent_dim": 16, **small_nets(model), **conditioning})
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


def test_a_best_generator_holds_the_average_in_full_and_g_in_half_precision(tmp_path, mnist_dir):
    """A trial's best generator: the weight average exactly as an export holds it, and G's own weights (for the
    export's fid_raw) in half precision, which load_generator leaves aside and load_raw_generator reads."""
    from raygan.data import load_dataset
    from raygan.trainer import GANTrainer

    config = GANConfig.from_dict({"model": "gan", "g_hidden": [32, 64], "d_hidden": [64, 32], "ema_kimg": 0.1,
                                  "g_norm": "batch", "batch_size": 16})
    trainer = GANTrainer(config, load_dataset("mnist", mnist_dir, "test"))
    trainer.run_steps(5, 5)
    best = save_trainer_generator(tmp_path / "best.safetensors", trainer, {"fid": 80.0}, with_raw=True)
    plain = save_trainer_generator(tmp_path / "plain.safetensors", trainer, {"fid": 80.0})
    average, alone = load_generator(best), load_generator(plain)
    assert average.state_dict().keys() == alone.state_dict().keys()
    assert all(torch.equal(average.state_dict()[k], v) for k, v in trainer.generator_ema.state_dict().items())
    assert load_raw_generator(plain, alone) is None
    raw = load_raw_generator(best, average)
    for name, value in trainer.generator.state_dict().items():
        restored = raw.state_dict()[name]
        assert restored.dtype == value.dtype and torch.equal(restored, value.to(RAW_DTYPE).to(value.dtype))
    assert best.stat().st_size < 1.6 * plain.stat().st_size  # G at half the bytes of the average
    no_average = GANTrainer(GANConfig.from_dict({**config.to_dict(), "ema_kimg": 0.0}), trainer.data)
    lone = save_trainer_generator(tmp_path / "lone.safetensors", no_average, None, with_raw=True)
    assert load_raw_generator(lone, load_generator(lone)) is None  # G is the generator itself


def test_an_export_with_a_key_of_no_effect_on_its_model_still_loads(tmp_path):
    """raygan stored such keys before it refused them; the key is ignored and the weights load as saved."""
    old = GANConfig(model="dcgan", latent_dim=8, g_width=8, g_hidden=(16,), d_dropout=0.3, cond="hidden",
                    label_embedding=4)  # not validated: as raygan accepted it then
    torch.manual_seed(0)
    generator = build_generator(old)
    path = save_generator(tmp_path / "old.safetensors", generator, old)
    with pytest.raises(RayganError, match="has no effect on model dcgan"):
        GANConfig.from_dict(read_metadata(path)["config"])
    loaded = load_generator(path)
    assert loaded.metadata["config"] == old.to_dict()
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in generator.state_dict().items())


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

    monkeypatch.setattr("raygan.generator_file.save_file", disk_full)
    with pytest.raises(RayganError, match="No space left"):
        save_generator(path, build_generator(config), config, extra={"run": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.safetensors"]  # no temporary left behind
    assert read_metadata(path)["run"] == 1  # the file from before the failed write, whole


@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    config = GANConfig(model="cgan", latent_dim=8, g_hidden=(16,))
    path = tmp_path_factory.mktemp("good") / "g.safetensors"
    return save_generator(path, build_generator(config), config, extra={"steps": 5, "metrics": {"fid": 9.0}})


def _rewrite_header(good_file, path, change):
    from safetensors.torch import load_file, safe_open

    with safe_open(str(good_file), framework="pt") as fh:
        header = dict(fh.metadata())
    change(header)
    save_file(load_file(str(good_file)), str(path), metadata=header)
    return path


def _set(key, value):
    return lambda header: header.__setitem__(key, value)


def _drop(key):
    return lambda header: header.pop(key)


def _config(**changes):
    return lambda header: header.__setitem__("config", json.dumps({**json.loads(header["config"]), **changes}))


@pytest.mark.parametrize("change, words", [
    (_set("format_version", "one"), ["'format_version'", "whole number"]),
    (_drop("format_version"), ["'format_version' is missing"]),
    (_drop("config"), ["'config' is missing"]),
    (_drop("raygan_version"), ["'raygan_version' is missing"]),
    (_drop("dataset"), ["'dataset' is missing"]),
    (_drop("image_shape"), ["'image_shape' is missing"]),
    (_drop("num_classes"), ["'num_classes' is missing"]),
    (_set("config", "{not json"), ["corrupt 'config' header"]),
    (_set("config", "[1, 2]"), ["'config' must be a JSON object"]),
    (_config(latent_dim="many"), ["header field 'config'", "latent_dim"]),
    (_config(colour="red"), ["header field 'config'", "unknown key 'colour'"]),
    (_config(model="gan"), ["'model' says 'cgan' but the config says 'gan'"]),
    (_set("model", "vae"), ["'model' names an unknown model 'vae'"]),
    (_set("image_shape", "[1, 28]"), ["'image_shape' must be [channels, height, width]"]),
    (_set("image_shape", '"28x28"'), ["'image_shape'"]),
    (_set("num_classes", "-1"), ["'num_classes' must be a whole number >= 0"]),
    (_set("num_classes", "2.5"), ["'num_classes'"]),
    (_set("class_names", '["zero"]'), ["'class_names' must list 10 class names"]),
    (_set("steps", "-3"), ["'steps' must be a whole number >= 0"]),
    (_set("steps", '"many"'), ["'steps'"]),
    (_set("metrics", "[9.0]"), ["'metrics' must be a JSON object"]),
    (_set("hyperparameters", "3"), ["'hyperparameters' must be a JSON object"]),
    (_set("num_classes", "7"), ["'class_names' must list 7 class names"]),
    (lambda h: (_set("num_classes", "7")(h), _drop("class_names")(h)),  # consistent, but weights for 10 classes
     ["does not match its config"]),
    (_set("image_shape", "[1, 32, 32]"), ["does not match its config"]),
])
def test_every_wrong_header_field_is_a_one_line_error(good_file, tmp_path, change, words):
    path = _rewrite_header(good_file, tmp_path / "edited.safetensors", change)
    with pytest.raises(RayganError) as err:
        load_generator(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message, message


def test_an_untouched_header_loads_with_its_dataset(good_file):
    generator = load_generator(good_file)
    assert generator.info.class_names == tuple("0123456789") and generator.info.image_shape == (1, 28, 28)
    assert generator.metadata["steps"] == 5 and generator.metadata["format_version"] == FORMAT_VERSION

"""The trial's checkpoint round trip and report sanitising, without a Ray cluster."""
import math

import torch
from ray import tune

from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.engine import GANTrainer
from raygan.export import load_generator
from raygan.trainable import BIG, TrialSettings, _is_new_best, finite, resume, write_checkpoint

SMALL = {"g_hidden": [32, 64], "d_hidden": [64, 32], "batch_size": 16}


def test_checkpoint_resumes_step_weights_history_with_the_trials_own_learning_rates(tmp_path, mnist_dir):
    data = load_dataset("mnist", mnist_dir, "test")
    trainer = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 1e-4, "lr_d": 1e-4}), data)
    report = trainer.run(steps=8, report_every=8)
    history = [dict(report, fid=300.0)]
    write_checkpoint(tmp_path, trainer, history, history[-1])

    restored = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 7e-4, "lr_d": 3e-4}), data)
    loaded_history = resume(restored, tune.Checkpoint.from_directory(str(tmp_path)), "cpu")
    assert restored.step == 8 and loaded_history == history
    assert restored.opt_g.param_groups[0]["lr"] == 7e-4 and restored.opt_d.param_groups[0]["lr"] == 3e-4
    for a, b in zip(trainer.generator.state_dict().values(), restored.generator.state_dict().values()):
        assert torch.equal(a, b)
    exported = load_generator(tmp_path / "generator.safetensors")
    assert exported.metadata["steps"] == 8 and exported.metadata["metrics"]["fid"] == 300.0


def test_no_checkpoint_means_a_fresh_start(mnist_dir):
    trainer = GANTrainer(GANConfig.from_dict(SMALL), load_dataset("mnist", mnist_dir, "test"))
    assert resume(trainer, None, "cpu") == [] and trainer.step == 0


def test_reports_are_made_finite():
    out = finite({"loss_d": math.nan, "loss_g": math.inf, "x": -math.inf, "fid": 3.0, "collapsed": True})
    assert out == {"loss_d": BIG, "loss_g": BIG, "x": -BIG, "fid": 3.0, "collapsed": True}


def test_new_best_follows_the_mode():
    settings = TrialSettings({}, 10, 1, 5, 100, CollapseRules(), metric="fid", mode="min")
    assert _is_new_best([{"fid": 5.0}], settings)
    assert _is_new_best([{"fid": 5.0}, {"fid": 4.0}], settings)
    assert not _is_new_best([{"fid": 5.0}, {"fid": 6.0}], settings)
    assert not _is_new_best([{"fid": 5.0}, {"fid": 5.0}], settings)
    high = TrialSettings({}, 10, 1, 5, 100, CollapseRules(), metric="label_acc", mode="max")
    assert _is_new_best([{"label_acc": 0.5}, {"label_acc": 0.7}], high)


def _checkpoint_with_state_file(folder, content: bytes):
    folder.mkdir(exist_ok=True)
    (folder / "trainer.pt").write_bytes(content)
    (folder / "history.jsonl").write_text("")
    return tune.Checkpoint.from_directory(str(folder))


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, mnist_dir):
    import pytest

    from raygan.errors import RayganError

    trainer = GANTrainer(GANConfig.from_dict(SMALL), load_dataset("mnist", mnist_dir, "test"))
    with pytest.raises(RayganError, match="corrupt or not a raygan checkpoint"):
        resume(trainer, _checkpoint_with_state_file(tmp_path / "c", b"\x00garbage" * 10), "cpu")


def test_malicious_pickle_checkpoint_is_refused_not_run(tmp_path, mnist_dir):
    import io

    import pytest

    from raygan.errors import RayganError

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('x')",))

    buffer = io.BytesIO()
    torch.save({"step": Exploit()}, buffer)
    trainer = GANTrainer(GANConfig.from_dict(SMALL), load_dataset("mnist", mnist_dir, "test"))
    with pytest.raises(RayganError, match="not a raygan checkpoint"):
        resume(trainer, _checkpoint_with_state_file(tmp_path / "c", buffer.getvalue()), "cpu")
    assert not marker.exists()

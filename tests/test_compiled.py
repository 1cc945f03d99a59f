"""The compiled training step (``compile: on``) on real MNIST: the eager step's losses, exact resume, and a compiler
that fails falling back to eager with one warning line."""
import io

import pytest
import torch

from raygan.compiled import CompiledCall, compiles
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.trainer import GANTrainer
from tests.conftest import small_nets

STEPS = 4


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir, "train")


def _config(model: str, compile: str, **values) -> GANConfig:
    return GANConfig.from_dict({"model": model, **small_nets(model), "batch_size": 32, "seed": 1,
                                "compile": compile, **values})


def _losses(trainer: GANTrainer, steps: int = STEPS) -> list[float]:
    """Each step's D and G loss, in turn."""
    losses = []
    trainer.run_steps(steps, 1, on_report=lambda report: losses.extend((report["loss_d"], report["loss_g"])))
    return losses


@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan", "cdcgan"])
def test_the_compiled_step_gives_the_eager_steps_losses_and_resumes_exactly(mnist, model):
    """Each model with its recipe (cdcgan's spectral-norm D, cgan's class batch norm and projection head): the same
    losses step by step within float tolerance, and a compiled run resumed from a checkpoint goes where an
    unbroken compiled one goes, bit for bit.  gan's recipe without its dropout in D: inductor draws dropout masks
    from a random stream of its own, so with dropout the two steps drop different units."""
    plain = {"d_dropout": 0.0} if model == "gan" else {}
    eager = GANTrainer(_config(model, "off", **plain), mnist)
    compiled = GANTrainer(_config(model, "on", **plain), mnist)
    assert compiled._generate.active is True
    expected, got = _losses(eager), _losses(compiled)
    assert compiled._generate.active and compiled._judge_fn.active  # compiled, not fallen back
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-5)

    first = GANTrainer(_config(model, "on", **plain), mnist)
    first.run_steps(STEPS // 2, STEPS // 2)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    resumed = GANTrainer(_config(model, "on", **plain), mnist)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    resumed.run_steps(STEPS, STEPS // 2)
    for a, b in zip(compiled.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_r1_updates_run_eagerly_inside_a_compiled_run(mnist):
    """R1 differentiates D's gradient again, which compiled graphs cannot: its updates take D's own judge."""
    config = _config("dcgan", "on", r1_gamma=1.0, r1_every=2)
    expected = _losses(GANTrainer(config.replace(compile="off"), mnist))
    assert _losses(GANTrainer(config, mnist)) == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_a_compiler_that_fails_leaves_one_warning_line_and_eager_results(mnist, monkeypatch):
    """No C++ compiler for inductor's CPU kernels: the step runs eagerly, after one line that says so."""
    import torch._inductor.config as inductor

    torch._dynamo.reset()  # nothing compiled earlier is reused
    monkeypatch.setattr(inductor.cpp, "cxx", ("no-such-c++-compiler",))
    monkeypatch.setattr(inductor, "fx_graph_cache", False)
    lines = []
    config = _config("gan", "on")
    trainer = GANTrainer(config, mnist)
    trainer._generate = CompiledCall(trainer.generator, trainer.device, log=lines.append)
    trainer._judge_fn = CompiledCall(trainer.discriminator.judge, trainer.device, log=lines.append)
    got = _losses(trainer)
    torch._dynamo.reset()
    assert len(lines) == 2 and all(line.startswith("warning: torch.compile failed (") for line in lines), lines
    assert "\n" not in "".join(lines) and not trainer._generate.active
    assert got == _losses(GANTrainer(config.replace(compile="off"), mnist))


def test_an_input_error_is_raised_not_swallowed(mnist):
    generator = GANTrainer(_config("cgan", "on"), mnist).generator
    call = CompiledCall(generator, "cpu", log=lambda line: None)
    with pytest.raises(TypeError, match="indices"):
        call(torch.randn(2, 100))  # no labels for a conditional generator: its class embedding has nothing to index


def test_auto_compiles_only_where_it_was_measured_to_pay():
    assert compiles("on", torch.device("cpu")) and not compiles("off", torch.device("cuda"))
    assert compiles("auto", torch.device("cpu")) is False  # bench/RESULTS.md: it does not pay on 2 CPU cores
    with pytest.raises(RayganError, match="compile"):
        GANConfig.from_dict({"compile": "yes"})

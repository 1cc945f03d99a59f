"""The training engine on real MNIST: reports, determinism, confusion counts, checkpoints."""
import io
import math

import pytest
import torch

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.models.conditioning import ClassBatchNorm
from raygan.records import without_wall_clock
from raygan.trainer import GANTrainer
from tests.conftest import small_nets


def _small(model):
    return {**small_nets(model, hidden=(64, 128)), "batch_size": 32}


SMALL = _small("gan")  # the default model
REPORT_KEYS = {"step", "loss_d", "loss_g", "tp", "fn", "tn", "fp", "d_acc", "d_acc_real", "d_acc_fake",
               "images_per_s"}


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir, "train")


CONDITIONINGS = {"cbn-projection": {"g_cond": "cbn", "d_cond": "projection"}, "ac": {"d_cond": "ac"},
                 "clusters": {"clusters": 8}}


@pytest.mark.parametrize("model, conditioning", [("gan", ""), ("dcgan", ""), ("cgan", ""), ("cdcgan", ""),
                                                 *[(m, c) for m in ("cgan", "cdcgan") for c in ("cbn-projection", "ac")],
                                                 ("gan", "clusters"), ("dcgan", "clusters")])
def test_reports_every_k_steps_with_finite_values(mnist, model, conditioning):
    config = GANConfig.from_dict({"model": model, **_small(model), "d_steps": 2, **CONDITIONINGS.get(conditioning, {})})
    reports = []
    GANTrainer(config, mnist).run_steps(7, 3, on_report=reports.append)
    assert [r["step"] for r in reports] == [3, 6, 7]
    for report in reports:
        assert REPORT_KEYS <= set(report)
        assert all(math.isfinite(report[k]) for k in REPORT_KEYS)
    # confusion counts cover every real and fake image D judged: steps x d_steps x batch each
    first = reports[0]
    assert first["tp"] + first["fn"] == 3 * 2 * 32 == first["tn"] + first["fp"]
    assert first["d_acc"] == pytest.approx((first["tp"] + first["tn"]) / (2 * 3 * 2 * 32))


@pytest.mark.parametrize("model, conditioning", [("dcgan", ""), ("gan", ""), ("cdcgan", "cbn-projection"),
                                                 ("cgan", "ac")])
@pytest.mark.parametrize("loss", ["ns", "hinge", "ls"])
def test_every_loss_trains_a_spectral_discriminator_with_finite_losses(mnist, model, conditioning, loss):
    trainer = GANTrainer(GANConfig.from_dict({"model": model, **_small(model), "loss": loss, "d_norm": "spectral",
                                              **CONDITIONINGS.get(conditioning, {})}), mnist)
    assert not trainer._d_has_batchnorm  # so real and fake go through D as one batch
    report = trainer.run_steps(3, 3)
    assert math.isfinite(report["loss_d"]) and math.isfinite(report["loss_g"])
    assert report["tp"] + report["fn"] == 3 * 32 == report["tn"] + report["fp"]


def test_same_seed_same_run_other_seed_other_run(mnist):
    def final_weights(seed):
        trainer = GANTrainer(GANConfig.from_dict({**SMALL, "seed": seed}), mnist)
        report = trainer.run_steps(5, 5)
        return report["loss_g"], torch.cat([p.flatten() for p in trainer.generator.parameters()])

    loss_a, weights_a = final_weights(1)
    loss_b, weights_b = final_weights(1)
    loss_c, weights_c = final_weights(2)
    assert loss_a == loss_b and torch.equal(weights_a, weights_b)
    assert not torch.equal(weights_a, weights_c)


def test_discriminator_learns_to_tell_real_digits_from_a_frozen_generator(mnist):
    """With G all but frozen, D must separate real MNIST from G's output within a few dozen steps."""
    trainer = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 1e-9}), mnist)
    first = trainer.run_steps(3, 3)
    last = trainer.run_steps(40, 30)
    assert first["d_acc"] < 0.75 < 0.95 < last["d_acc"]
    assert last["loss_d"] < first["loss_d"]


@pytest.mark.parametrize("values", [SMALL, {**_small("cdcgan"), "model": "cdcgan", "g_cond": "cbn", "d_cond": "ac"},
                                    {**_small("cgan"), "model": "cgan", "d_cond": "projection", "d_norm": "spectral"},
                                    {**_small("dcgan"), "model": "dcgan", "clusters": 8}],
                         ids=["gan", "cdcgan-cbn-ac", "cgan-projection", "dcgan-clusters"])
def test_checkpoint_resumes_bit_for_bit_with_own_learning_rates(mnist, values):
    config = GANConfig.from_dict({**values, "seed": 3})
    straight = GANTrainer(config, mnist)
    straight.run_steps(6, 6)

    first = GANTrainer(config, mnist)
    first.run_steps(3, 3)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # only tensors and numbers: no pickled objects
    resumed = GANTrainer(config, mnist)
    resumed.load_state_dict(state)
    assert resumed.step == 3
    resumed.run_steps(6, 3)
    for a, b in zip(straight.generator.parameters(), resumed.generator.parameters()):
        assert torch.equal(a, b)

    moved = GANTrainer(config, mnist)  # a checkpoint from another kind of device: re-seeded, not refused
    moved.load_state_dict({**state, "rng": torch.zeros(16, dtype=torch.uint8), "rng_device": "cuda"})
    assert torch.equal(moved.rng.get_state(), torch.Generator().manual_seed(config.seed + 3).get_state())

    faster = GANTrainer(config.replace(lr_g=1e-3, lr_d=5e-4), mnist)
    faster.load_state_dict(state)
    assert [g["lr"] for g in faster.opt_g.param_groups] == [1e-3]
    assert [g["lr"] for g in faster.opt_d.param_groups] == [5e-4]


def test_an_auxiliary_classifier_learns_the_real_digits_classes(mnist, mnist_dir):
    """D's class head is trained on real images' labels: after 150 steps it reads held-out digits far above chance."""
    config = GANConfig.from_dict({**_small("cdcgan"), "model": "cdcgan", "d_cond": "ac", "d_norm": "spectral",
                                  "loss": "hinge"})
    trainer = GANTrainer(config, mnist)
    test = load_dataset("mnist", mnist_dir, "test")
    images, labels = test.floats()[:500], test.labels[:500]

    def accuracy():
        with torch.no_grad():
            return (trainer.discriminator.judge(images, labels)[1].argmax(1) == labels).float().mean().item()

    before = accuracy()
    trainer.run_steps(150, 150)
    assert before < 0.3 and accuracy() > 0.7


def test_class_batch_norm_learns_parameters_of_its_own_for_each_class(mnist):
    config = GANConfig.from_dict({**_small("cdcgan"), "model": "cdcgan", "g_cond": "cbn"})
    trainer = GANTrainer(config, mnist)
    norms = [m for m in trainer.generator.modules() if isinstance(m, ClassBatchNorm)]
    assert all(torch.all(n.gain.weight == 1) and torch.all(n.bias.weight == 0) for n in norms)
    trainer.run_steps(5, 5)
    for norm in norms:  # every class's gains and biases moved, each its own way
        gains, biases = norm.gain.weight, norm.bias.weight
        assert not torch.any(torch.all(gains == 1, dim=1)) and not torch.any(torch.all(biases == 0, dim=1))
        assert torch.cdist(gains, gains).fill_diagonal_(1).min() > 0
        assert torch.cdist(biases, biases).fill_diagonal_(1).min() > 0


def test_generator_ema_averages_weights_and_is_what_gets_measured_and_exported(mnist, tmp_path):
    from raygan import load_generator
    from raygan.generator_file import save_trainer_generator

    config = GANConfig.from_dict({**SMALL, "ema_kimg": 0.2})
    trainer = GANTrainer(config, mnist)
    start = [p.clone() for p in trainer.generator_ema.parameters()]
    trainer.run_steps(5, 5)
    raw, ema = list(trainer.generator.parameters()), list(trainer.generator_ema.parameters())
    assert trainer.sampling_generator is trainer.generator_ema
    assert all(not p.requires_grad for p in ema)
    for r, e, s in zip(raw, ema, start):  # the average lags behind G: between where it started and G
        assert not torch.equal(r, e) and (e - s).norm() < (r - s).norm()
    path = save_trainer_generator(tmp_path / "g.safetensors", trainer, None)
    loaded = load_generator(path)
    assert all(torch.equal(a, b) for a, b in zip(loaded.parameters(), ema))

    state = trainer.state_dict()
    restored = GANTrainer(config, mnist)
    restored.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(restored.generator_ema.parameters(), ema))
    default = GANTrainer(GANConfig.from_dict(SMALL), mnist)  # the average is on unless ema_kimg is set to 0
    assert default.config.ema_kimg == 44.3 and default.sampling_generator is default.generator_ema
    assert default.generator_ema is not None and default.generator_ema is not default.generator
    off = GANTrainer(GANConfig.from_dict({**SMALL, "ema_kimg": 0}), mnist)
    assert off.generator_ema is None and off.sampling_generator is off.generator


def test_the_weight_average_keeps_the_same_history_per_image_at_any_batch_size():
    """ema_kimg: after the same images, batch 32 and batch 128 leave the same weight on every image seen
    (without a ramp-up exactly, with one within a few parts in a thousand)."""
    from raygan.ema import ema_beta

    def weights(batch: int, images: int, rampup: float) -> torch.Tensor:
        """The weight of G's starting weights, then of each image's update (its batch's, spread over its images),
        in the average after ``images``."""
        kept = torch.zeros(images // batch + 1, dtype=torch.float64)
        kept[0] = 1
        for step in range(images // batch):
            beta = ema_beta(step * batch, batch, 10.0, rampup)
            kept[:step + 1] *= beta
            kept[step + 1] = 1 - beta
        return torch.cat([kept[:1], kept[1:].repeat_interleave(batch) / batch])

    for rampup in (0.0, 0.05):
        small, large = weights(32, 64_000, rampup), weights(128, 64_000, rampup)
        assert small.sum().item() == pytest.approx(1) and large.sum().item() == pytest.approx(1)
        # G's starting weights: 0.5 ** 6.4 of the average without a ramp-up, none with one
        assert small[0].item() == pytest.approx(large[0].item(), abs=1e-12)
        # the weight on the first, middle and last quarter of the images: where the average's memory sits
        small_quarters, large_quarters = small[1:].view(4, -1).sum(1), large[1:].view(4, -1).sum(1)
        assert torch.allclose(small_quarters, large_quarters, atol=2e-3 if rampup else 1e-12, rtol=1e-2)
        assert large_quarters[-1] > 0.5 and large_quarters[0] < 0.05  # a 10 kimg half-life over 64 kimg


def test_the_weight_average_ramps_up_to_its_half_life(mnist):
    trainer = GANTrainer(GANConfig.from_dict({**SMALL, "ema_kimg": 10, "ema_rampup": 0.05}), mnist)
    decays = {}
    for images in (0, 1600, 32_000, 200_000, 400_000):
        trainer.images = images
        decays[images] = trainer.ema_decay()
    step = SMALL["batch_size"]
    assert decays[0] == 0  # the first update copies G
    assert decays[1600] == pytest.approx(0.5 ** (step / 80)) and decays[32_000] == pytest.approx(0.5 ** (step / 1600))
    assert decays[200_000] == decays[400_000] == pytest.approx(0.5 ** (step / 10_000))  # the ramp ends at 200 kimg


def test_the_weight_average_keys_are_clear_errors_and_g_ema_of_saved_configs_still_loads():
    from raygan.errors import RayganError

    with pytest.raises(RayganError, match="ema_kimg must be between 0 and 100000 kimg"):
        GANConfig.from_dict({"ema_kimg": -1})
    with pytest.raises(RayganError, match="g_ema .* is now ema_kimg"):
        GANConfig.from_dict({"g_ema": 0.999})
    # an export or checkpoint written with g_ema keeps the history its average had at its batch size
    old = {key: value for key, value in GANConfig().to_dict().items() if not key.startswith("ema_")}
    saved = GANConfig.from_saved({**old, "g_ema": 0.999, "batch_size": 128})
    assert saved.ema_kimg == pytest.approx(88.7, abs=0.05)
    assert GANConfig.from_saved({"g_ema": 0.0}).ema_kimg == 0


# a low target: D's real images are above it from the start, so p rises from its first adjustment
SMALL_DATA = {"augment": "ada", "ada_target": 0.01, "ada_kimg": 0.2, "r1_gamma": 0.1, "r1_every": 2,
              "lecam_weight": 0.3}


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_an_augmented_regularised_run_resumes_exactly_where_an_unbroken_one_goes(mnist, model):
    """Augmentation draws from the run's RNG, and ADA's p and LeCam's means are checkpointed: a resumed run is
    the unbroken run, bit for bit."""
    config = GANConfig.from_dict({**_small(model), "model": model, **SMALL_DATA, "seed": 4})
    straight = GANTrainer(config, mnist)
    reports = []
    straight.run_steps(10, 5, on_report=reports.append)
    first = GANTrainer(config, mnist)
    first.run_steps(5, 5)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    resumed = GANTrainer(config, mnist)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    last = resumed.run_steps(10, 5)
    assert without_wall_clock(last) == without_wall_clock(reports[-1])
    for net in ("generator", "discriminator"):
        for a, b in zip(getattr(straight, net).parameters(), getattr(resumed, net).parameters()):
            assert torch.equal(a, b)
    assert torch.equal(straight.ada.p, resumed.ada.p) and 0 < float(straight.ada.p) <= 1
    assert torch.equal(straight.lecam.means, resumed.lecam.means)
    assert reports[-1]["augment_p"] == float(straight.ada.p)
    assert reports[-1]["r_t"] == pytest.approx(2 * reports[-1]["d_acc_real"] - 1)


def test_the_generators_gradient_flows_through_the_augmentation(mnist):
    trainer = GANTrainer(GANConfig.from_dict({**_small("dcgan"), "model": "dcgan", "augment": "diff"}), mnist)
    fake, _ = trainer._fake_batch(8)
    seen = trainer._seen(fake)
    assert not torch.equal(seen, fake)
    seen.square().sum().backward()
    grads = [p.grad for p in trainer.generator.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("key, value, message", [
    ("augment", "always", "unknown augment 'always'; choose one of none, diff, ada"),
    ("augment_policy", "colour", "unknown augment_policy 'colour'"),
    ("ada_target", 1.0, "ada_target must be"),
    ("ada_kimg", 0, "ada_kimg must be"),
    ("r1_gamma", -1, "r1_gamma must be"),
    ("r1_every", 0, "r1_every must be"),
    ("lecam_weight", "lots", "lecam_weight"),
])
def test_every_small_data_key_is_checked_in_one_line(key, value, message):
    from raygan.errors import RayganError

    with pytest.raises(RayganError) as error:
        GANConfig.from_dict({key: value})
    assert message in str(error.value) and "\n" not in str(error.value) and error.value.fields == (key,)


def test_a_self_conditioned_run_tells_d_each_real_images_cluster_and_each_fakes_drawn_one(mnist, mnist_dir):
    trainer = GANTrainer(GANConfig.from_dict({**_small("dcgan"), "model": "dcgan", "clusters": 6}), mnist)
    assert torch.equal(trainer.data.labels, trainer.clusters.assignments)
    assert trainer.generator.boundaries.tolist() == pytest.approx(
        torch.cumsum(trainer.clusters.shares(), 0)[:-1].tolist(), abs=1e-6)
    drawn, told = [], []
    cluster_of, judge = trainer.generator.cluster_of, trainer._judge

    def record_drawn(z):
        drawn.append(cluster_of(z))
        return drawn[-1]

    def record_told(real, real_labels, fake, fake_labels, how):
        told.append((real, real_labels, fake_labels))
        return judge(real, real_labels, fake, fake_labels, how)

    trainer.generator.cluster_of, trainer._judge = record_drawn, record_told
    trainer.run_steps(2, 2)
    assert len(told) == 2
    for real, real_labels, fake_labels in told:  # the clusters G drew the fakes from (it draws in its forward too)
        assert any(torch.equal(fake_labels, clusters) for clusters in drawn)
        images = ((real + 1) * 127.5).round().to(torch.uint8)
        assert torch.equal(real_labels, trainer.clusters.assign(images))
    shares = trainer.real_accuracy(mnist, load_dataset("mnist", mnist_dir, "test"), num=100)
    assert set(shares) == {"d_acc_train", "d_acc_heldout"}


def test_more_clusters_than_training_images_is_a_one_line_error(mnist):
    from raygan.data import ImageData
    from raygan.errors import RayganError

    few = ImageData(mnist.info, mnist.images[:5], mnist.labels[:5])
    with pytest.raises(RayganError, match="clusters 8 needs at least as many training images; dataset 'mnist' has 5"):
        GANTrainer(GANConfig.from_dict({**SMALL, "clusters": 8}), few)


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_ds_accuracy_on_real_training_and_held_out_images_changes_nothing_in_the_run(mnist, mnist_dir, model):
    test = load_dataset("mnist", mnist_dir, "test")
    config = GANConfig.from_dict({**_small(model), "model": model, "d_norm": "spectral" if model == "cgan" else "auto"})
    trainer, twin = GANTrainer(config, mnist), GANTrainer(config, mnist)
    trainer.run_steps(3, 3)
    twin.run_steps(3, 3)
    shares = trainer.real_accuracy(mnist, test, num=200)
    assert set(shares) == {"d_acc_train", "d_acc_heldout"} and all(0 <= v <= 1 for v in shares.values())
    assert trainer.discriminator.training
    trainer.run_steps(6, 3)
    twin.run_steps(6, 3)  # measured or not, the run goes on the same (spectral norm's vectors, RNG, weights)
    for a, b in zip(trainer.discriminator.state_dict().values(), twin.discriminator.state_dict().values()):
        assert torch.equal(a, b)

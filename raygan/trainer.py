"""The training engine: one GAN step loop shared by the CLI, Ray Tune trials and benchmarks.

A *step* is one generator update preceded by ``d_steps`` discriminator updates; a run's
length is counted in the real images those updates show D (``images``, reported as
``kimg``; see :mod:`raygan.budget`).  The loop
keeps its running statistics (loss sums and the discriminator's confusion counts) on the
device and reads them back once per report, so a GPU is never stalled by per-step
``.item()`` calls; batches come from the device-resident dataset (:mod:`raygan.data`).
"""
from __future__ import annotations

import copy
import time
from typing import Callable

import torch

from raygan.ada import AdaptiveP
from raygan.augment import augment
from raygan.budget import images_per_step
from raygan.compiled import CompiledCall, compiled_step, compiles
from raygan.config import GANConfig
from raygan.data import ImageData, to_unit_range
from raygan.data.clusters import Clusters, cluster_images
from raygan.ema import ema_beta
from raygan.errors import RayganError
from raygan.losses import accuracies, class_loss, confusion_counts, discriminator_loss, generator_loss
from raygan.models import build_models
from raygan.regularizers import LeCam, r1_penalty

ReportFn = Callable[[dict], "bool | None"]  # returns True to stop the run
_LOSS_D, _LOSS_G, _COUNTS = 0, 1, slice(2, 6)


class GANTrainer:
    """Holds G, D, their Adam optimisers and the RNG of one run; ``run`` advances it."""

    def __init__(self, config: GANConfig, data: ImageData, device=None):
        self.config = config
        self.data = data
        self.device = torch.device(device) if device is not None else data.device
        if self.data.device != self.device:
            self.data = data.to(self.device)
        self.info = data.info
        # self-conditioning (config.clusters): D sees each real image with its cluster, G draws them as often
        self.clusters = _clusters(config, self.data)
        if self.clusters is not None:
            self.data = ImageData(self.data.info, self.data.images, self.clusters.assignments.to(self.device))
        torch.manual_seed(config.seed)
        generator, discriminator = build_models(config, data.info)
        if self.clusters is not None:
            generator.set_shares(self.clusters.shares())
        # channels_last lets oneDNN / cuDNN pick their fastest convolution kernels; a no-op for MLPs.
        self.generator = generator.to(self.device, memory_format=torch.channels_last)
        self.discriminator = discriminator.to(self.device, memory_format=torch.channels_last)
        self._d_has_batchnorm = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                                    for m in self.discriminator.modules())
        # fused: one pass over each parameter instead of ~10 elementwise kernels (CPU and CUDA)
        betas = (config.beta1, config.beta2)
        # The generator that is measured, shown and exported: an exponential moving average of G's
        # weights when config.ema_kimg > 0 (as in stylegan2-ada and BigGAN; it smooths the noise of
        # the last updates out of the samples), else G itself.
        self.generator_ema = None
        if config.ema_kimg:
            self.generator_ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g, betas=betas, fused=True)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=betas, fused=True)
        self.rng = torch.Generator(self.device).manual_seed(config.seed)
        # small-data defences (off by default): augmentation of what D sees, its adaptive probability, LeCam
        self.ada = AdaptiveP(config.ada_target, config.ada_kimg, self.device) if config.augment == "ada" else None
        self.lecam = LeCam(self.device) if config.lecam_weight else None
        # the training step's forward passes, compiled where config.compile says (raygan.compiled); the modules
        # themselves stay eager for sampling, metrics and R1's double backward
        self._generate, self._judge_fn = self.generator, self.discriminator.judge
        self._compiled = compiles(config.compile, self.device)
        if self._compiled:
            self._generate = CompiledCall(self.generator, self.device)
            self._judge_fn = CompiledCall(self.discriminator.judge, self.device)
        self.step = 0
        self.images = 0  # real images shown to D so far
        self._window = torch.zeros(6, device=self.device)  # loss_d sum, loss_g sum, tp, fn, tn, fp
        self._window_steps = 0

    def _fake_batch(self, size: int):
        z = torch.randn(size, self.config.latent_dim, device=self.device, generator=self.rng)
        if self.clusters is not None:  # G picks the cluster from z itself; D is told which it picked
            return self._generate(z, None), self.generator.cluster_of(z)
        labels = (torch.randint(self.generator.num_classes, (size,), device=self.device, generator=self.rng)
                  if self.config.conditional else None)
        return self._generate(z, labels), labels

    def _judge(self, real, real_labels, fake, fake_labels,
               judge) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """D's logits on a real and a fake batch, and its class logits on the real one (an ``ac`` head's; else None),
        by ``judge`` (D's own, or compiled).

        Without batch norm in D, the two batches go through as one (the same maths, half the
        kernel launches and larger matrix products); with it they stay separate, so batch
        statistics are never mixed across real and fake.
        """
        if self._d_has_batchnorm:
            real_logits, real_classes = judge(real, real_labels)
            return real_logits, judge(fake, fake_labels)[0], real_classes
        labels = None if real_labels is None else torch.cat([real_labels, fake_labels])
        logits, classes = judge(torch.cat([real, fake]), labels)
        n = real.shape[0]
        return logits[:n], logits[n:], None if classes is None else classes[:n]

    def _seen(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` as D sees them: augmented (:mod:`raygan.augment`, with ADA's ``p`` under ``augment: ada``)."""
        if self.config.augment == "none":
            return images
        return augment(images, self.config.augment_policy, self.rng, self.ada.p if self.ada is not None else 1.0)

    def _d_update(self, fake: torch.Tensor, fake_labels) -> torch.Tensor:
        config = self.config
        real, real_labels = self.data.batch(config.batch_size, self.rng)
        if not config.labelled:
            real_labels = None
        real, fake = self._seen(real), self._seen(fake.detach())
        r1_due = config.r1_gamma > 0 and self.step % config.r1_every == 0  # lazy, as stylegan2's
        if r1_due:
            real = real.detach().requires_grad_(True)
        # R1's penalty differentiates D's gradient again, which a compiled graph cannot: that update runs eagerly
        judge = self.discriminator.judge if r1_due else self._judge_fn
        real_logits, fake_logits, real_classes = self._judge(real, real_labels, fake, fake_labels, judge)
        loss = discriminator_loss(real_logits, fake_logits, config.loss, config.label_smoothing)
        loss = loss + class_loss(real_classes, real_labels, config.ac_weight)
        if self.lecam is not None:
            loss = loss + config.lecam_weight * self.lecam.penalty(real_logits, fake_logits)
        if r1_due:
            loss = loss + config.r1_gamma / 2 * config.r1_every * r1_penalty(real_logits, real)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if self.ada is not None:
            self.ada.observe(real_logits)
        self._window[_COUNTS] += confusion_counts(real_logits.detach(), fake_logits.detach())
        return loss.detach()

    def train_step(self) -> None:
        """One generator update after ``d_steps`` discriminator updates (compiled: :mod:`raygan.compiled`).

        The fake batch of the last discriminator update is reused for the generator update:
        G has not changed in between, so this is the same computation as drawing it again,
        at one generator forward pass less.
        """
        with compiled_step(self._compiled):
            self._step()

    def _step(self) -> None:
        size = self.config.batch_size
        loss_d = torch.zeros((), device=self.device)
        for _ in range(self.config.d_steps - 1):
            with torch.no_grad():
                fake, fake_labels = self._fake_batch(size)
            loss_d += self._d_update(fake, fake_labels)
        fake, fake_labels = self._fake_batch(size)
        loss_d += self._d_update(fake, fake_labels)
        # D's weights need no gradient for G's update: skipping them saves a third of the
        # backward pass through D.
        self.discriminator.requires_grad_(False)
        fake_logits, fake_classes = self._judge_fn(self._seen(fake), fake_labels)
        loss_g = generator_loss(fake_logits, self.config.loss) + class_loss(fake_classes, fake_labels,
                                                                           self.config.ac_weight)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.discriminator.requires_grad_(True)
        if self.generator_ema is not None:
            self._update_ema()
        self._window[_LOSS_D] += loss_d / self.config.d_steps
        self._window[_LOSS_G] += loss_g.detach()
        self._window_steps += 1
        self.step += 1
        self.images += images_per_step(self.config.batch_size, self.config.d_steps)
        if self.ada is not None:
            self.ada.step(images_per_step(self.config.batch_size, self.config.d_steps))

    @property
    def sampling_generator(self):
        """The generator to measure, draw from and export: the weight average if kept, else G."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def ema_decay(self) -> float:
        """The share of the average this step's update keeps (:func:`raygan.ema.ema_beta`): a half-life of
        ``ema_kimg`` thousand images, ramped up over the images seen before this step."""
        config = self.config
        return ema_beta(self.images, images_per_step(config.batch_size, config.d_steps), config.ema_kimg,
                        config.ema_rampup)

    @torch.no_grad()
    def _update_ema(self) -> None:
        ema = list(self.generator_ema.parameters())
        torch._foreach_lerp_(ema, list(self.generator.parameters()), 1.0 - self.ema_decay())
        for average, current in zip(self.generator_ema.buffers(), self.generator.buffers()):
            average.copy_(current)  # batch-norm statistics follow G's (as stylegan2-ada does)

    def report(self, seconds: float) -> dict:
        """Summarise the steps since the last report (one host sync) and start a new window."""
        loss_d, loss_g, tp, fn, tn, fp = self._window.tolist()
        steps = max(self._window_steps, 1)
        images = self._window_steps * images_per_step(self.config.batch_size, self.config.d_steps)
        out = {"step": self.step, "kimg": self.images / 1000, "loss_d": loss_d / steps, "loss_g": loss_g / steps,
               "tp": int(tp), "fn": int(fn), "tn": int(tn), "fp": int(fp),
               **accuracies(tp, fn, tn, fp),
               # ADA's overfitting signal: the mean sign of D's output on real training images (-1 to 1)
               "r_t": (tp - fn) / (tp + fn) if tp + fn else 0.0,
               **({"augment_p": float(self.ada.p)} if self.ada is not None else {}),
               "images_per_s": images / seconds if seconds > 0 else 0.0,
               "train_s": seconds}  # training's wall time since the last report (see raygan.tuning.time_split)
        self._window.zero_()
        self._window_steps = 0
        return out

    @torch.no_grad()
    def real_accuracy(self, train: ImageData, heldout: ImageData, num: int = 512) -> dict:
        """The share of real images D judges real: ``num`` training images (``d_acc_train``) beside ``num``
        held-out ones (``d_acc_heldout``), always the same ones, unaugmented and with D in eval mode (no state
        of the run changes).  A gap between them means D memorised the training set."""
        shares = {}
        self.discriminator.eval()
        try:
            for name, split in (("d_acc_train", train), ("d_acc_heldout", heldout)):
                count = min(num, len(split))
                images = split.images[:count].to(self.device)
                labels = self._labels_of(images, split.labels[:count].to(self.device))
                logits = self.discriminator(to_unit_range(images), labels)
                shares[name] = (logits > 0).float().mean().item()
        finally:
            self.discriminator.train()
        return shares

    def _labels_of(self, images_uint8: torch.Tensor, classes: torch.Tensor) -> torch.Tensor | None:
        """What D is told of real ``images_uint8``: their ``classes`` (conditional), their clusters (self-conditioned)
        or nothing."""
        if self.clusters is not None:
            return self.clusters.assign(images_uint8)
        return classes if self.config.conditional else None

    def run(self, max_images: int, report_images: int, on_report: ReportFn | None = None,
            on_step: Callable[[int], None] | None = None) -> dict | None:
        """Train until D has seen ``max_images`` real images, calling ``on_report`` every ``report_images``.

        A report falls on the first step at or past each multiple of ``report_images``, and
        at the end if that is not one; the run ends early when ``on_report`` returns True.
        ``on_step`` gets the image count after every step (a progress bar; it must not sync
        the device); when it returns True the run ends after that step (and its report, if one
        falls on it).  Returns the last report.  ``images_per_s`` counts real images through D
        per second.
        """
        last = None
        started = time.perf_counter()
        next_report = (self.images // report_images + 1) * report_images
        while self.images < max_images:
            self.train_step()
            stop = on_step is not None and on_step(self.images)
            if self.images >= next_report or self.images >= max_images:
                next_report = (self.images // report_images + 1) * report_images
                now = time.perf_counter()
                last = self.report(now - started)
                if on_report is not None and on_report(last):
                    break
                started = time.perf_counter()  # time spent in the callback is not training
            if stop:
                break
        return last

    def run_steps(self, steps: int, report_every: int, on_report: ReportFn | None = None) -> dict | None:
        """:meth:`run` counted in generator steps, for benchmarks and tests: until ``self.step == steps``."""
        per_step = images_per_step(self.config.batch_size, self.config.d_steps)
        return self.run(steps * per_step, report_every * per_step, on_report)

    # -- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue this run bit-for-bit: weights, optimisers, step, RNG, and the
        statistics of the steps since the last report (a run stopped between reports reports them at the next).

        Holds only tensors, numbers, strings and dicts, so it loads with
        ``torch.load(..., weights_only=True)``.
        """
        return {"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                **({"generator_ema": self.generator_ema.state_dict()} if self.generator_ema is not None else {}),
                "step": self.step, "images": self.images, "rng": self.rng.get_state(), "rng_device": self.device.type,
                "torch_rng": torch.get_rng_state(), "window": self._window, "window_steps": self._window_steps,
                **({"ada": self.ada.state_dict()} if self.ada is not None else {}),
                **({"lecam": self.lecam.state_dict()} if self.lecam is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        """Restore a checkpoint, keeping *this* trainer's hyper-parameters (learning rates, betas).

        Optimiser state restores Adam's moments, but ``load_state_dict`` would also bring
        back the saved learning rates; they are reset to the config's so that a trial
        restored under new hyper-parameters trains with them.  The batch-and-noise RNG is
        device-specific: a run restored onto another kind of device (a trial restarted on a
        GPU node, ``--resume --device cuda``) continues re-seeded from the step instead.
        """
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.generator_ema is not None:  # a checkpoint without an average starts one from G
            self.generator_ema.load_state_dict(state.get("generator_ema", self.generator.state_dict()))
        for opt, lr in ((self.opt_g, self.config.lr_g), (self.opt_d, self.config.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr
                group["betas"] = (self.config.beta1, self.config.beta2)
        self.step = int(state["step"])
        # checkpoints written before budgets counted images have only the step
        self.images = int(state.get("images", self.step * images_per_step(self.config.batch_size,
                                                                           self.config.d_steps)))
        torch.set_rng_state(state["torch_rng"].cpu())  # RNG states are CPU byte tensors wherever loaded
        if state.get("rng_device", "cpu") == self.device.type:
            self.rng.set_state(state["rng"].cpu())
        else:
            self.rng.manual_seed(self.config.seed + self.step)
        for part, name in ((self.ada, "ada"), (self.lecam, "lecam")):
            if part is not None and name in state:  # else (turned on at a restart) it starts afresh
                part.load_state_dict(state[name])
        if "window" in state:  # checkpoints written before runs could stop between reports had an empty one
            self._window.copy_(state["window"])
            self._window_steps = int(state["window_steps"])


def _clusters(config: GANConfig, data: ImageData) -> Clusters | None:
    """The training images' k-means clusters for a self-conditioned run (None without ``clusters``)."""
    if not config.clusters:
        return None
    if config.clusters > len(data):
        raise RayganError(f"clusters {config.clusters} needs at least as many training images; dataset "
                          f"'{data.name}' has {len(data)}: set clusters to at most {len(data)}, or 0", "clusters")
    return cluster_images(data.images, config.clusters, config.seed)

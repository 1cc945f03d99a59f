"""What each engine technique buys: images/s with all of them, and with each one switched off.

    python bench/ablation.py --data-dir ../shared/data/mnist [--device cpu|cuda] [--steps 300] [--repeats 3]

Switching off is done from outside the engine, on a constructed trainer, so the engine
carries no benchmark-only options.  Prints a Markdown table (median of ``--repeats``).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.devices import best_device
from raygan.engine import GANTrainer


def all_on(trainer):
    return trainer


def adam_not_fused(trainer):
    for opt in (trainer.opt_g, trainer.opt_d):
        for group in opt.param_groups:
            group["fused"] = False
    return trainer


def d_weights_get_grads_in_g_step(trainer):
    trainer.discriminator.requires_grad_ = lambda *args, **kwargs: trainer.discriminator
    return trainer


def real_and_fake_separately(trainer):
    trainer._d_has_batchnorm = True  # the engine then runs D on real and fake batches separately
    return trainer


def contiguous_format(trainer):
    trainer.generator.to(memory_format=torch.contiguous_format)
    trainer.discriminator.to(memory_format=torch.contiguous_format)
    return trainer


VARIANTS = {
    "all techniques": (all_on, 1),
    "Adam not fused": (adam_not_fused, 1),
    "D weight grads in G step": (d_weights_get_grads_in_g_step, 1),
    "real and fake through D separately": (real_and_fake_separately, 1),
    "contiguous (not channels_last)": (contiguous_format, 1),
    "host sync every step": (all_on, "every"),
}


def images_per_s(config, data, device, variant, report_every, steps: int) -> float:
    trainer = variant(GANTrainer(config, data, device))
    every = 1 if report_every == "every" else steps
    trainer.run(10, report_every=10)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    trainer.run(10 + steps, report_every=every)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * config.batch_size / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", default="gan,dcgan")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = best_device(args.device)
    data = load_dataset("mnist", args.data_dir, "train", device=device)
    print(f"device: {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} x {args.steps} steps, batch 64")
    print("| model | variant | images/s | vs all techniques |\n| --- | --- | --- | --- |")
    for model in args.models.split(","):
        config = GANConfig(model=model)
        base = None
        for name, (variant, report_every) in VARIANTS.items():
            if name.startswith("contiguous") and model in ("gan", "cgan"):
                continue  # no convolutions: nothing to measure
            if name.startswith("real and fake") and model in ("dcgan", "cdcgan"):
                continue  # D has batch norm: the engine already keeps the batches apart
            rate = statistics.median(images_per_s(config, data, device, variant, report_every, args.steps)
                                     for _ in range(args.repeats))
            base = base or rate
            print(f"| {model} | {name} | {rate:,.0f} | {rate / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()

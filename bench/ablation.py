"""What each engine technique buys: images/s with all of them, and with each one switched off.

    python -m bench.ablation --data-dir ../shared/data/mnist [--device cpu|cuda] [--steps 300] [--repeats 3]

Switching off is done from outside the engine, on a constructed trainer, so the engine
carries no benchmark-only options.  Prints a Markdown table (median of ``--repeats``).
"""
from __future__ import annotations

import statistics

import torch

from bench.engine import engine_images_per_s
from bench.record import describe, provenance
from raygan.cli import Parser, positive_int, user_errors
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.devices import pick_device

PROG = "bench.ablation"
WARMUP = 10


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


VARIANTS = {  # name -> (how the trainer is changed, steps between host syncs; None: one per timed run)
    "all techniques": (all_on, None),
    "Adam not fused": (adam_not_fused, None),
    "D weight grads in G step": (d_weights_get_grads_in_g_step, None),
    "real and fake through D separately": (real_and_fake_separately, None),
    "contiguous (not channels_last)": (contiguous_format, None),
    "host sync every step": (all_on, 1),
}


def main(argv=None) -> None:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", default="gan,dcgan")
    parser.add_argument("--steps", type=positive_int, default=300)
    parser.add_argument("--repeats", type=positive_int, default=3)
    args = parser.parse_args(argv)
    with user_errors(PROG):
        device = pick_device(args.device)
        data = load_dataset("mnist", args.data_dir, "train", device=device)
        configs = [GANConfig.from_dict({"model": m.strip()}, source="--models") for m in args.models.split(",")]
        print(f"device: {device}, {torch.get_num_threads()} threads, median of {args.repeats} x {args.steps} steps, "
              f"batch 64; {describe(provenance())}")
        print("| model | variant | images/s | vs all techniques |\n| --- | --- | --- | --- |")
        for config in configs:
            base = None
            for name, (variant, report_every) in VARIANTS.items():
                if name.startswith("contiguous") and config.model in ("gan", "cgan"):
                    continue  # no convolutions: nothing to measure
                if name.startswith("real and fake") and config.model in ("dcgan", "cdcgan"):
                    continue  # D has batch norm: the engine already keeps the batches apart
                rate = statistics.median(
                    engine_images_per_s(config, data, device, args.steps, WARMUP, variant, report_every)
                    for _ in range(args.repeats))
                base = base or rate
                print(f"| {config.model} | {name} | {rate:,.0f} | {rate / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()

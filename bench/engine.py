"""``python -m bench.engine``: raygan's training engine against the usual PyTorch GAN loop.

Both sides train the same models at the same batch size, in one process on one device.
The reference is written the way the common examples (PyTorch-GAN, Ray's DCGAN example)
write it: torchvision's MNIST dataset with ``ToTensor`` and ``Normalize`` transforms
behind a shuffling ``DataLoader``, a host-to-device copy per batch, a fresh generator
pass per step, non-fused Adam, and every step's losses and discriminator accuracy read
back to the host for logging.  The engine is :class:`raygan.trainer.GANTrainer`.

Prints a table and a JSON object (``--json FILE`` also writes it): images/s for each side
and their ratio per model, the training FLOPs per image, and the time to evaluate 10,000
samples with every quality metric (first call, which embeds the test split, and cached);
both lead with the date, CPU, torch version and commit measured (:mod:`bench.record`).
"""
from __future__ import annotations

import gzip
import shutil
import tempfile
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from bench.output import emit
from bench.record import describe, provenance
from raygan.atomic import check_writable
from raygan.budget import FINAL_NUM, MIN_SAMPLES
from raygan.cli import Parser, positive_int, user_errors
from raygan.config import GANConfig
from raygan.data import DATASETS, load_dataset, open_source
from raygan.data.idx import SPLIT_FILES
from raygan.devices import pick_device
from raygan.errors import RayganError
from raygan.models import build_models
from raygan.trainer import GANTrainer

PROG = "bench.engine"


def engine_images_per_s(config: GANConfig, data, device, steps: int, warmup: int,
                        adjust=None, report_every: int | None = None) -> float:
    """Real images through D per second in raygan's engine, after ``warmup`` steps.

    ``adjust`` may change the constructed trainer (the ablation switches techniques off
    from outside the engine); ``report_every`` defaults to one report (one host sync) for
    the timed steps, as in real use.
    """
    trainer = GANTrainer(config, data, device)
    if adjust is not None:
        trainer = adjust(trainer)
    trainer.run_steps(warmup, warmup)
    _sync(device)
    started = time.perf_counter()
    trainer.run_steps(warmup + steps, report_every or steps)
    _sync(device)
    return steps * config.batch_size * config.d_steps / (time.perf_counter() - started)


def reference_images_per_s(config: GANConfig, torchvision_root: Path, device, steps: int, warmup: int,
                           workers: int = 0) -> float:
    """The same models trained by the usual example loop (see the module docstring)."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    dataset_cls = datasets.MNIST if config.dataset == "mnist" else datasets.FashionMNIST
    dataset = dataset_cls(str(torchvision_root), train=True, download=False, transform=transform)
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True, num_workers=workers)
    torch.manual_seed(config.seed)
    generator, discriminator = (m.to(device) for m in build_models(config))
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas)
    log = []
    step, started = 0, None
    while step < warmup + steps:
        for real, labels in loader:
            if step == warmup:
                _sync(device)
                started = time.perf_counter()
            if step == warmup + steps:
                break
            real, labels = real.to(device), labels.to(device)
            cond = labels if config.conditional else None
            z = torch.randn(real.shape[0], config.latent_dim, device=device)
            fake_labels = (torch.randint(generator.num_classes, (real.shape[0],), device=device)
                           if config.conditional else None)
            opt_g.zero_grad()
            fake = generator(z, fake_labels)
            fake_logits = discriminator(fake, fake_labels)
            loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
            loss_g.backward()
            opt_g.step()
            opt_d.zero_grad()
            real_logits = discriminator(real, cond)
            fake_logits = discriminator(fake.detach(), fake_labels)
            loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                      + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
            loss_d.backward()
            opt_d.step()
            d_acc = ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean()) / 2
            log.append((step, loss_d.item(), loss_g.item(), d_acc.item()))
            step += 1
    _sync(device)
    return steps * config.batch_size / (time.perf_counter() - started)


def training_flops_per_image(config: GANConfig, data, device) -> float:
    """FLOPs of one engine step per real image, counted by torch's FLOP counter (matmuls and convs)."""
    from torch.utils.flop_counter import FlopCounterMode

    trainer = GANTrainer(config, data, device)
    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return counter.get_total_flops() / (config.batch_size * config.d_steps)


def evaluation_seconds(config: GANConfig, data_dir, device, num: int) -> dict:
    """Seconds to compute every quality metric on ``num`` samples with one measurer: the first call (which
    embeds the test split) and the next."""
    from raygan.metrics import open_measurer

    generator = build_models(config)[0].to(device)  # untrained: the timing does not depend on the weights
    measurer = open_measurer(config.dataset, data_dir, device)
    times = []
    for _ in range(2):
        _sync(device)
        started = time.perf_counter()
        measurer.measure_generator(generator, num=num)
        _sync(device)
        times.append(time.perf_counter() - started)
    return {"eval_first_s": times[0], "eval_cached_s": times[1]}


def torchvision_copy(dataset: str, data_dir, into: Path) -> Path:
    """Unpacked IDX files where torchvision's (offline) MNIST class expects them."""
    source = open_source(dataset, data_dir).folder
    raw = into / ("MNIST" if dataset == "mnist" else "FashionMNIST") / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for pair in SPLIT_FILES.values():
        for name in pair:
            with gzip.open(source / name, "rb") as src, open(raw / name.removesuffix(".gz"), "wb") as dst:
                shutil.copyfileobj(src, dst)
    return into


def run_benchmark(models, dataset: str, data_dir, device, batch_size: int, steps: int, warmup: int,
                  eval_num: int, workers: int = 0, log=print) -> dict:
    measured = provenance()
    device = torch.device(device)
    data = load_dataset(dataset, data_dir, "train", device=device)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = torchvision_copy(dataset, data_dir, Path(tmp))
        for model in models:
            # the reference loop trains the plain nets: no self-conditioning (the unconditional recipes' clusters)
            config = GANConfig.from_dict({"model": model, "dataset": dataset, "batch_size": batch_size, "clusters": 0})
            reference = reference_images_per_s(config, root, device, steps, warmup, workers)
            engine = engine_images_per_s(config, data, device, steps, warmup)
            row = {"model": model, "batch_size": batch_size, "reference_images_per_s": reference,
                   "raygan_images_per_s": engine, "speedup": engine / reference,
                   "train_flops_per_image": training_flops_per_image(config, data, device)}
            rows.append(row)
            log(f"{model}: reference {reference:,.0f} img/s, raygan {engine:,.0f} img/s, x{row['speedup']:.2f}")
    result = {**measured, "device": _device_name(device), "threads": torch.get_num_threads(),
              "dataset": dataset, "steps": steps, "warmup": warmup, "models": rows}
    if eval_num:
        result.update(evaluation_seconds(GANConfig(dataset=dataset), data_dir, device, eval_num), eval_num=eval_num)
    return result


def format_table(result: dict) -> str:
    lines = [f"device: {result['device']}, {result['threads']} threads; {describe(result)}",
             "| model | batch | reference img/s | raygan img/s | speedup | train GFLOP/img |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in result["models"]:
        lines.append(f"| {row['model']} | {row['batch_size']} | {row['reference_images_per_s']:,.0f} | "
                     f"{row['raygan_images_per_s']:,.0f} | {row['speedup']:.2f}x | "
                     f"{row['train_flops_per_image'] / 1e9:.4f} |")
    if "eval_first_s" in result:
        lines.append(f"evaluate {result['eval_num']} samples, all metrics: {result['eval_first_s']:.2f} s "
                     f"first call (embeds the test split), {result['eval_cached_s']:.2f} s cached")
    return "\n".join(lines)


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with the dataset's four IDX .gz files")
    parser.add_argument("--dataset", default="mnist", choices=DATASETS)
    parser.add_argument("--models", default="gan,dcgan,cgan", help="comma-separated (default gan,dcgan,cgan)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--steps", type=positive_int, default=300, help="timed steps per side (default 300)")
    parser.add_argument("--warmup", type=positive_int, default=20, help="untimed steps first (default 20)")
    parser.add_argument("--eval-num", type=int, default=FINAL_NUM,
                        help=f"samples for the evaluation timing (default {FINAL_NUM}; 0: skip)")
    parser.add_argument("--workers", type=int, default=0, help="reference DataLoader workers (default 0)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--json", default=None, help="also write the JSON result to this file")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        for model in models:
            GANConfig.from_dict({"model": model}, source="--models")
        open_source(args.dataset, args.data_dir)
        if args.eval_num != 0 and args.eval_num < MIN_SAMPLES:
            raise RayganError(f"--eval-num must be 0 (skip) or at least {MIN_SAMPLES} samples, got {args.eval_num}")
        if args.json:
            check_writable(args.json)
        result = run_benchmark(models, args.dataset, args.data_dir, pick_device(args.device), args.batch_size,
                               args.steps, args.warmup, args.eval_num, args.workers)
        emit(result, format_table(result), args.json)


if __name__ == "__main__":
    main()

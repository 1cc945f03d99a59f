"""Pictures a person reads: sample grids and training curves (written atomically).

Neither torchvision nor matplotlib is imported with this module: every trial worker imports it, and
``torchvision.utils`` alone pulls in torchvision's models and torch's compiler (seconds per process on
two cores).  The grid is a few lines of torch; pyplot is imported by the plots that draw with it.
"""
from __future__ import annotations

from pathlib import Path

import torch

from raygan.atomic import atomic_path

PADDING = 2  # black pixels around every image of a grid
# D's overfitting signals (small data): ADA's r_t and p, and D on real training vs held-out images
OVERFITTING = ("r_t", "augment_p", "d_acc_train", "d_acc_heldout")


def grid_image(images: torch.Tensor, nrow: int = 8) -> torch.Tensor:
    """(N, C, H, W) images in [-1, 1] as one RGB (3, H', W') grid in [0, 1], ``nrow`` images per row, each
    framed by ``PADDING`` black pixels (grey images as RGB: torchvision's ``make_grid`` layout)."""
    images = images.detach().float().cpu().clamp(-1, 1).add(1).div(2)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    count, channels, height, width = images.shape
    per_row = min(nrow, count)
    rows = -(-count // per_row)
    cell_h, cell_w = height + PADDING, width + PADDING
    grid = torch.zeros(channels, rows * cell_h + PADDING, per_row * cell_w + PADDING)
    for index, image in enumerate(images):
        top, left = (index // per_row) * cell_h + PADDING, (index % per_row) * cell_w + PADDING
        grid[:, top:top + height, left:left + width] = image
    return grid


def save_grid(images: torch.Tensor, path, nrow: int = 8) -> Path:
    """Save (N, C, H, W) images in [-1, 1] as one PNG grid, ``nrow`` images per row."""
    from PIL import Image

    pixels = grid_image(images, nrow).mul(255).add(0.5).clamp(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(pixels).save(tmp, format="png")
    return path


def _pyplot():
    """matplotlib's pyplot, drawing off-screen (no display on servers and cluster nodes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_labelled_grid(images: torch.Tensor, path, nrow: int, row_names) -> Path:
    """Save a grid with one row per class, each row named on its left (a conditional generator's grid)."""
    grid = grid_image(images, nrow).permute(1, 2, 0).numpy()
    rows, cell = len(row_names), images.shape[-2] + PADDING
    plt = _pyplot()
    scale = max(1.0, 1.6 * 28 / cell)  # small images are drawn larger, so the names stay readable
    fig, ax = plt.subplots(figsize=(1.0 + grid.shape[1] * scale / 100, 0.3 + grid.shape[0] * scale / 100), dpi=100)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray" if grid.shape[-1] == 1 else None,
              interpolation="nearest")
    ax.set_yticks([cell * (i + 0.5) + 1 for i in range(rows)], labels=list(row_names), fontsize=9)
    ax.set_xticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return _save_figure(fig, path)


def save_curves(reports: list[dict], path, metric: str | None = None) -> Path:
    """Plot losses, discriminator accuracy and (if given and reported) ``metric`` against kimg."""
    kimg = [r["kimg"] for r in reports]
    panels = [("loss", ("loss_d", "loss_g")), ("discriminator accuracy", ("d_acc", "d_acc_real", "d_acc_fake"))]
    if any(key in r for r in reports for key in OVERFITTING):
        panels.append(("overfitting", OVERFITTING))
    if metric and any(metric in r for r in reports):
        panels.append((metric, (metric,)))
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6))
    for ax, (title, keys) in zip(axes, panels):
        for key in keys:
            if any(key in r for r in reports):
                ax.plot(kimg, [r.get(key, float("nan")) for r in reports], label=key)
        ax.set_title(title)
        ax.set_xlabel("kimg (thousands of real images)")
        ax.legend()
        ax.grid(alpha=0.3)
    return _save_figure(fig, path)


def save_metric_by_trial(series: dict[str, tuple[list, list]], path, metric: str) -> Path:
    """One line per trial: ``series`` maps a trial name to (kimg, values) of ``metric``."""
    fig, ax = _pyplot().subplots(figsize=(7, 4.5))
    for name, (kimg, values) in series.items():
        ax.plot(kimg, values, marker=".", label=name)
    ax.set_xlabel("kimg (thousands of real images)")
    ax.set_ylabel(metric)
    if metric == "fid":
        ax.set_yscale("log")
    ax.set_title(f"{metric} per trial")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return _save_figure(fig, path)


def _save_figure(fig, path) -> Path:
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    _pyplot().close(fig)
    return path


def sample_grid(generator, num: int = 64, seed: int = 0, label: int | None = None) -> tuple[torch.Tensor, int]:
    """A fixed-noise sample grid: for conditional models one row per class unless ``label`` is given.

    Returns the images and the number per row.
    """
    rng = torch.Generator(next(generator.parameters()).device).manual_seed(seed)
    if not generator.conditional:
        return generator.sample(num, generator=rng), 8
    if label is not None:
        return generator.sample(num, labels=label, generator=rng), 8
    per_class = max(num // generator.num_classes, 1)
    labels = torch.arange(generator.num_classes).repeat_interleave(per_class)
    return generator.sample(len(labels), labels=labels, generator=rng), per_class

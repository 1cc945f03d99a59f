"""Differentiable augmentation of everything the discriminator sees (DiffAugment, Zhao et al. 2020).

With little data D memorises the training set; showing it randomly transformed images, real
and fake alike and in G's step as in D's, keeps it from doing so without teaching G the
transforms, because every transform is differentiable and G's gradient flows through it.
Three families, each drawn per image from the run's RNG on the images' device (so a
resumed run draws what an unbroken one would):

- ``color``: brightness (a shift in [-0.5, 0.5]), saturation (colour images only: a scale of
  each pixel's distance to its grey level in [0, 2]) and contrast (a scale of the distance to
  the image's mean in [0.5, 1.5]); the result is clipped to [-1, 1], the images' range;
- ``translation``: a whole-pixel shift of up to 1/8 of the size in each direction, what it
  uncovers filled with 0 (mid-grey, as DiffAugment pads);
- ``cutout``: a square of half the size zeroed, centred anywhere on the image.

With ``p`` below 1 (ADA's adaptive probability, :class:`raygan.ada.AdaptiveP`) each family
is applied to each image with probability ``p``; the draws are made whatever ``p`` is.
"""
from __future__ import annotations

import torch

FAMILIES = ("color", "translation", "cutout")
# every non-empty subset, in FAMILIES' order: the values augment_policy admits (and a search chooses among)
POLICIES = tuple(",".join(f for i, f in enumerate(FAMILIES) if mask >> i & 1) for mask in range(1, 8))
TRANSLATION_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2


def augment(images: torch.Tensor, policy: str, generator: torch.Generator, p: float = 1.0) -> torch.Tensor:
    """``images`` (N, C, H, W in [-1, 1]) through each family of ``policy`` (``"color,translation"``)."""
    for family in policy.split(","):
        images = _DRAWN[family](images, generator, p)
    return images


def _uniform(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One number in [0, 1) per image, shaped to broadcast over (C, H, W)."""
    return torch.rand(images.shape[0], 1, 1, 1, device=images.device, generator=generator)


def _applied(images: torch.Tensor, generator: torch.Generator, p: float) -> torch.Tensor:
    """Per image, 1.0 where a family applies (probability ``p``), else 0.0."""
    return (_uniform(images, generator) < p).to(images.dtype)


def color(images: torch.Tensor, brightness: torch.Tensor, saturation: torch.Tensor,
          contrast: torch.Tensor) -> torch.Tensor:
    """Shift by ``brightness``, scale the colour by ``saturation`` (ignored for grey images) and the contrast
    by ``contrast`` (each per image, broadcastable to (N, 1, 1, 1)); clipped to [-1, 1]."""
    images = images + brightness
    if images.shape[1] > 1:
        grey = images.mean(dim=1, keepdim=True)
        images = (images - grey) * saturation + grey
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * contrast + mean).clamp(-1, 1)


def _drawn_color(images, generator, p):
    on = _applied(images, generator, p)
    brightness = (_uniform(images, generator) - 0.5) * on
    saturation = 1 + (_uniform(images, generator) * 2 - 1) * on
    contrast = 1 + (_uniform(images, generator) - 0.5) * on
    return color(images, brightness, saturation, contrast)


def translate(images: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, most: int) -> torch.Tensor:
    """Move each image's content down by ``dy[i]`` and right by ``dx[i]`` whole pixels (negative: up, left; at
    most ``most`` either way), filling what is uncovered with 0."""
    n, _, height, width = images.shape
    pad = most  # known in advance: no device-to-host read of the shifts
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))
    rows = torch.arange(height, device=images.device) - dy.view(n, 1) + pad  # (N, H): source row of each row
    cols = torch.arange(width, device=images.device) - dx.view(n, 1) + pad
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows.view(n, height, 1), cols.view(n, 1, width)].permute(0, 3, 1, 2)


def _drawn_translation(images, generator, p):
    n, _, height, width = images.shape
    on = _applied(images, generator, p).view(n).long()
    most_y, most_x = int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)
    dy = torch.randint(-most_y, most_y + 1, (n,), device=images.device, generator=generator) * on
    dx = torch.randint(-most_x, most_x + 1, (n,), device=images.device, generator=generator) * on
    return translate(images, dy, dx, max(most_y, most_x))


def cutout(images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Zero a ``size`` (height, width) rectangle at (``top[i]``, ``left[i]``) of each image (clipped at the edges;
    an image whose ``top`` is at least its height keeps everything)."""
    n, _, height, width = images.shape
    rows = torch.arange(height, device=images.device).view(1, height)
    cols = torch.arange(width, device=images.device).view(1, width)
    inside_rows = (rows >= top.view(n, 1)) & (rows < top.view(n, 1) + size[0])
    inside_cols = (cols >= left.view(n, 1)) & (cols < left.view(n, 1) + size[1])
    hole = (inside_rows.view(n, 1, height, 1) & inside_cols.view(n, 1, 1, width)).to(images.dtype)
    return images * (1 - hole)


def _drawn_cutout(images, generator, p):
    n, _, height, width = images.shape
    on = _applied(images, generator, p).view(n) > 0
    size = (int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5))
    # the square's centre anywhere on the image, as DiffAugment draws it
    centre_y = torch.randint(0, height + (1 - size[0] % 2), (n,), device=images.device, generator=generator)
    centre_x = torch.randint(0, width + (1 - size[1] % 2), (n,), device=images.device, generator=generator)
    top = torch.where(on, centre_y - size[0] // 2, torch.full_like(centre_y, height))  # off: below the image
    return cutout(images, top, centre_x - size[1] // 2, size)


_DRAWN = {"color": _drawn_color, "translation": _drawn_translation, "cutout": _drawn_cutout}

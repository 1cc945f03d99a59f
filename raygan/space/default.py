"""The space a search runs when it is given none: ``dcgan``, or ``small`` for an image folder of few images.

A discriminator shown the same few thousand images for hundreds of kimg memorises them; the
``small`` space adds what the data-efficient GAN papers add against that (augmentation of
everything D sees, R1, LeCam, a memorisation stop) and searches how much of it the folder
needs.  Below how many training images that beats the plain ``dcgan`` search is measured by
``python -m bench.small_data`` (``bench/RESULTS.md``, "Small image folders"); on MNIST's
60,000 the plain search is the one measured best.
"""
from __future__ import annotations

from raygan.data.info import FOLDER

DEFAULT_SPACE = "dcgan"
SMALL_SPACE = "small"
SMALL_FOLDER_IMAGES = 10_000  # training images (after the held-out share) below which a folder gets SMALL_SPACE


def default_space(source, small_below: int = SMALL_FOLDER_IMAGES) -> tuple[str, str]:
    """The bundled space to search on ``source`` when none is named, and why (empty for the usual one)."""
    if source.kind != FOLDER:
        return DEFAULT_SPACE, ""
    from raygan.data.folder import scan  # torch and PIL: imported once a folder is searched

    count = len(scan(source.root).train)
    if count >= small_below:
        return DEFAULT_SPACE, ""
    return SMALL_SPACE, (f"the default for image folders under {small_below:,} training images ({count:,} here): "
                         f"augmentation, R1 and LeCam searched (--space {DEFAULT_SPACE} for none)")

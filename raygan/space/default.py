"""The space a search runs when it is given none: ``dcgan``, or for an image folder of few images a small-data one.

A discriminator shown the same few thousand images for hundreds of kimg memorises them; the
small-data spaces add what the data-efficient GAN papers add against that (augmentation of
everything D sees, R1, LeCam, a memorisation stop) and search how much of it the folder
needs.  A folder with class subfolders gets ``small-cdcgan``, a conditional DCGAN: on 2,000
Fashion-MNIST images its search's export drew fid 9.6 where the unconditional searches'
drew 37.6 (``dcgan``) and 35.7 (``small``), on 2 CPU cores in 15 minutes
(``bench/RESULTS.md``, "Small image folders"); a flat folder gets ``small``.  On MNIST's
60,000 the plain ``dcgan`` search is the one measured best.
"""
from __future__ import annotations

from raygan.data.info import FOLDER

DEFAULT_SPACE = "dcgan"
SMALL_SPACE = "small"  # a flat (unlabelled) folder
SMALL_LABELLED_SPACE = "small-cdcgan"  # a folder of class subfolders
SMALL_FOLDER_IMAGES = 10_000  # training images (after the held-out share) below which a folder gets a small-data space


def default_space(source, small_below: int = SMALL_FOLDER_IMAGES) -> tuple[str, str]:
    """The bundled space to search on ``source`` when none is named, and why (empty for the usual one)."""
    if source.kind != FOLDER:
        return DEFAULT_SPACE, ""
    from raygan.data.folder import scan  # torch and PIL: imported once a folder is searched

    layout = scan(source.root)
    count = len(layout.train)
    if count >= small_below:
        return DEFAULT_SPACE, ""
    why = f"the default for image folders under {small_below:,} training images ({count:,} here"
    if layout.class_names:
        return SMALL_LABELLED_SPACE, (f"{why}, {len(layout.class_names)} classes): a conditional DCGAN, augmentation, "
                                      f"R1 and LeCam searched (--space {DEFAULT_SPACE} for none of these)")
    return SMALL_SPACE, f"{why}): augmentation, R1 and LeCam searched (--space {DEFAULT_SPACE} for none)"

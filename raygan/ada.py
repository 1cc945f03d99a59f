"""ADA's adaptive augmentation probability (Karras et al. 2020): ``p`` follows D's overfitting.

The overfitting signal is ``r_t``, the mean sign of D's output on the real training images it
is shown: near 0 while D cannot tell them from fakes, near 1 once it has memorised them.
Every ``interval`` steps ``p`` moves toward keeping ``r_t`` at ``target`` (0.6, as in ADA): up
when D is surer of the real images than that, down when it is not, by as much as lets it
cross from 0 to 1 in ``kimg`` thousand real images.  ``p`` and the counts stay on the device
(no host read per step); ``state_dict`` carries them into checkpoints.
"""
from __future__ import annotations

import torch

INTERVAL = 4  # steps between adjustments, as in stylegan2-ada


class AdaptiveP:
    def __init__(self, target: float, kimg: float, device, p: float = 0.0):
        self.target, self.kimg = target, kimg
        self.p = torch.tensor(float(p), device=device)
        self._signs = torch.zeros((), device=device)  # sum of sign(D(real)) since the last adjustment
        self._steps = self._images = self._judged = 0  # steps, real images shown to D, D's real judgements

    def observe(self, real_logits: torch.Tensor) -> None:
        """Count the signs of D's logits on one batch of real (training) images."""
        self._signs += real_logits.detach().sign().sum()
        self._judged += real_logits.numel()

    def step(self, images: int) -> None:
        """One training step that showed D ``images`` real images; adjusts ``p`` every ``INTERVAL`` steps."""
        self._steps += 1
        self._images += images
        if self._steps % INTERVAL:
            return
        r_t = self._signs / max(self._judged, 1)
        adjust = torch.sign(r_t - self.target) * self._images / (self.kimg * 1000)
        self.p = (self.p + adjust).clamp(0, 1)
        self._signs.zero_()
        self._images = self._judged = 0

    def state_dict(self) -> dict:
        return {"p": self.p, "signs": self._signs, "steps": self._steps, "images": self._images,
                "judged": self._judged}

    def load_state_dict(self, state: dict) -> None:
        self.p = state["p"].to(self.p.device).clone()
        self._signs = state["signs"].to(self.p.device).clone()
        self._steps, self._images, self._judged = int(state["steps"]), int(state["images"]), int(state["judged"])

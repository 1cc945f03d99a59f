"""DiffAugment's three families on hand-made images: what each does, its draws, its range and its gradient."""
import pytest
import torch

from raygan.augment import FAMILIES, POLICIES, augment, color, cutout, translate


def test_policies_are_every_non_empty_subset_in_one_order():
    assert len(POLICIES) == 7 and len(set(POLICIES)) == 7 and "color,translation,cutout" in POLICIES
    assert all(policy.split(",") == [f for f in FAMILIES if f in policy.split(",")] for policy in POLICIES)


def test_translation_moves_the_content_by_the_shift_and_fills_with_zero():
    image = torch.zeros(2, 1, 28, 28)
    image[:, 0, 10, 12] = 1.0
    moved = translate(image, torch.tensor([3, -4]), torch.tensor([-2, 4]), most=4)
    assert moved[0, 0, 13, 10] == 1.0 and moved[1, 0, 6, 16] == 1.0 and moved.sum() == 2.0
    ones = translate(torch.ones(1, 3, 8, 8), torch.tensor([2]), torch.tensor([-1]), most=2)
    assert ones[0, :, :2].eq(0).all() and ones[0, :, :, 7:].eq(0).all() and ones[0, :, 2:, :7].eq(1).all()


def test_drawn_translations_stay_within_an_eighth_and_are_the_runs_draws():
    images = torch.randn(400, 1, 32, 32)
    rng = torch.Generator().manual_seed(5)
    moved = augment(images, "translation", rng)
    replay = torch.Generator().manual_seed(5)
    torch.rand(400, 1, 1, 1, generator=replay)  # the "applied" draw (p = 1: all)
    dy = torch.randint(-4, 5, (400,), generator=replay)
    dx = torch.randint(-4, 5, (400,), generator=replay)
    assert torch.equal(moved, translate(images, dy, dx, most=4))
    assert set(dy.tolist()) == set(range(-4, 5))  # up to 32/8 either way, every shift drawn
    again = augment(images, "translation", torch.Generator().manual_seed(5))
    assert torch.equal(moved, again)  # the same RNG state, the same images: a resumed run draws the same


def test_cutout_zeroes_a_square_of_half_the_size():
    ones = torch.ones(1, 1, 32, 32)
    holed = cutout(ones, torch.tensor([8]), torch.tensor([5]), (16, 16))
    assert holed[0, 0, 8:24, 5:21].eq(0).all() and holed.eq(0).sum() == 16 * 16
    drawn = augment(torch.ones(500, 3, 32, 32), "cutout", torch.Generator().manual_seed(0))
    zeros = drawn.eq(0).all(dim=1).sum(dim=(1, 2))  # zeroed pixels per image
    assert zeros.max() == 16 * 16 and zeros.min() > 0  # a whole square inside, clipped at the edges
    assert (zeros == 16 * 16).float().mean() > 0.2


def test_colour_keeps_the_range_and_changes_colour_only_for_colour_images():
    images = torch.rand(64, 3, 16, 16) * 2 - 1
    out = augment(images, "color", torch.Generator().manual_seed(1))
    assert out.min() >= -1 and out.max() <= 1 and not torch.allclose(out, images)
    grey = torch.rand(4, 1, 8, 8) * 2 - 1
    same = color(grey, torch.zeros(4, 1, 1, 1), torch.full((4, 1, 1, 1), 2.0), torch.ones(4, 1, 1, 1))
    assert torch.allclose(same, grey)  # saturation means nothing without colour
    brighter = color(grey * 0.1, torch.full((4, 1, 1, 1), 0.3), torch.ones(4, 1, 1, 1), torch.ones(4, 1, 1, 1))
    assert torch.allclose(brighter, grey * 0.1 + 0.3)
    flat = color(grey, torch.zeros(4, 1, 1, 1), torch.ones(4, 1, 1, 1), torch.zeros(4, 1, 1, 1))
    assert torch.allclose(flat, grey.mean(dim=(1, 2, 3), keepdim=True).expand_as(grey))  # no contrast: the mean


def test_probability_zero_changes_nothing_and_a_half_changes_about_half():
    images = torch.rand(600, 3, 16, 16) * 2 - 1
    policy = "color,translation,cutout"
    assert torch.allclose(augment(images, policy, torch.Generator().manual_seed(2), p=0.0), images, atol=1e-6)
    holed = augment(torch.ones(600, 1, 16, 16), "cutout", torch.Generator().manual_seed(2), p=0.5)
    assert 0.4 < holed.eq(0).flatten(1).any(dim=1).float().mean() < 0.6


@pytest.mark.parametrize("policy", POLICIES)
def test_the_gradient_flows_through_every_policy(policy):
    images = (torch.rand(8, 3, 16, 16) * 1.6 - 0.8).requires_grad_(True)
    augment(images, policy, torch.Generator().manual_seed(3)).square().sum().backward()
    assert torch.isfinite(images.grad).all() and images.grad.abs().sum() > 0

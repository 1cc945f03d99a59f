"""A trial's torch threads follow the CPUs it asked for (one at least: half a CPU is a valid request)."""
import pytest

from raygan.tuning.resources import torch_threads


@pytest.mark.parametrize("cpus, threads", [(0.25, 1), (0.5, 1), (1.0, 1), (1.5, 1), (2.0, 2), (8.0, 8)])
def test_a_trial_gets_one_thread_per_whole_cpu_and_one_at_least(cpus, threads):
    assert torch_threads(cpus) == threads

"""cluster.yaml against Ray's own schema, and a search on a simulated three-node cluster."""
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def test_cluster_yaml_passes_rays_validation():
    from ray.autoscaler._private.util import prepare_config, validate_config

    raw = yaml.safe_load((REPO / "cluster.yaml").read_text())
    config = prepare_config(raw)
    validate_config(config)
    head = config["available_node_types"][config["head_node_type"]]
    assert head["resources"] == {"CPU": 0}  # the head runs the driver, never a trial
    workers = [t for name, t in config["available_node_types"].items() if name != config["head_node_type"]]
    assert workers and all(t["min_workers"] == 0 and t["resources"]["GPU"] >= 1 for t in workers)
    assert 0 < config["idle_timeout_minutes"] <= 30
    setup = " ".join(config["setup_commands"])
    assert "pip install" in setup and "~/raygan" in setup and config["file_mounts"]["~/raygan"] == "."


def test_cluster_yaml_holds_no_secrets():
    text = (REPO / "cluster.yaml").read_text().lower()
    for secret in ("aws_secret", "aws_access_key", "akia", "password", "token"):
        assert secret not in text


@pytest.mark.slow
def test_search_on_three_nodes_with_fractional_fake_gpus(tmp_path, mnist_dir, tiny_space):
    """Head (no CPUs) + two workers with one fake GPU each; four trials at 0.5 GPU must use both workers."""
    import ray
    from ray.cluster_utils import Cluster

    from raygan import load_generator
    from raygan.data import open_source
    from raygan.layout import BEST_GENERATOR
    from raygan.space import load_space
    from raygan.tuning import SearchOptions, run_search

    space_file = tiny_space(max_steps=40, grace_period=40, patience=50)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [cluster.add_node(num_cpus=2, num_gpus=1) for _ in range(2)]
    try:
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, logging_level="ERROR")
        storage = tmp_path / "shared-storage"
        outcome = run_search(load_space(space_file), open_source("mnist", mnist_dir),
                             SearchOptions(num_samples=4, max_concurrent=4, cpus_per_trial=1, gpus_per_trial=0.5,
                                           storage_path=str(storage), name="multi", verbose=0),
                             export=tmp_path / "best.safetensors")
        trial_dirs = [p for p in (storage / "multi").iterdir() if p.is_dir() and p.name.startswith("train_gan")]
        assert len(trial_dirs) == 4 and len(outcome.rows) == 4
        import json

        last_reports = [json.loads((d / "result.json").read_text().splitlines()[-1]) for d in trial_dirs]
        assert {r["node_id"] for r in last_reports} == {w.node_id for w in workers}
        assert {r["device"] for r in last_reports} == {"cpu"}  # fake GPUs: fell back to the CPU
        # in the storage path: each trial's best generator; its checkpoints are pruned once the search has ended
        assert all((d / BEST_GENERATOR).is_file() and not list(d.glob("checkpoint_*")) for d in trial_dirs)
        assert load_generator(tmp_path / "best.safetensors").sample(8).shape == (8, 1, 28, 28)
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture(autouse=True)
def _no_ray_left_running():
    yield
    import ray

    assert not ray.is_initialized()

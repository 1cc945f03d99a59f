"""Ray's own autoscaler with cluster.yaml's node types (its fake_multinode twin, cluster.fake.yaml):
a search on a GPU-less head makes it start GPU workers, and they go when idle.

The defaults that come from the autoscaler's node types are checked here too, without Ray.
"""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from ray_head import Head, ray_head

from raygan.errors import RayganError
from raygan.tuning.autoscaler import BOOTSTRAP_CONFIG, CONFIG_ENV, autoscaling_config, explicit_config, largest_cluster
from raygan.tuning.resources import plan_trials

REPO = Path(__file__).resolve().parents[1]
AWS = yaml.safe_load((REPO / "cluster.yaml").read_text())
FAKE = yaml.safe_load((REPO / "cluster.fake.yaml").read_text())
LIMITS = ("min_workers", "max_workers", "resources")


def test_fake_twin_has_cluster_yamls_node_types_and_limits():
    from ray.autoscaler._private.util import validate_config

    validate_config(json.loads(json.dumps(FAKE)))  # a full config: Ray's wheel lacks the fake provider's defaults
    workers = {name: {key: spec.get(key) for key in LIMITS}
               for config in (AWS, FAKE) for name, spec in config["available_node_types"].items()
               if name != config["head_node_type"]}
    aws = {name: w for name, w in workers.items() if name in AWS["available_node_types"]}
    fake = {name: w for name, w in workers.items() if name in FAKE["available_node_types"]}
    assert aws == fake and aws
    assert AWS["available_node_types"][AWS["head_node_type"]]["resources"] == \
        FAKE["available_node_types"][FAKE["head_node_type"]]["resources"]
    for key in ("max_workers", "upscaling_speed", "idle_timeout_minutes"):
        assert AWS[key] == FAKE[key], key
    assert FAKE["provider"]["type"] == "fake_multinode"


def test_defaults_come_from_the_node_types_the_cluster_can_grow_to():
    head_only = [{"CPU": 0}]  # cluster.yaml's head, before any worker is up
    # 8 workers at most (two types of 8, capped at 8 in all), 4 CPUs and 1 GPU each
    assert plan_trials(head_only, AWS, 1.0, None, None) == ({"cpu": 1.0, "gpu": 0.5}, 16)
    assert plan_trials(head_only, AWS, 1.0, 1.0, None) == ({"cpu": 1.0, "gpu": 1.0}, 8)
    assert plan_trials(head_only, AWS, 4.0, 0.25, None) == ({"cpu": 4.0, "gpu": 0.25}, 8)  # CPUs bind first
    assert plan_trials(head_only, AWS, 1.0, None, 3) == ({"cpu": 1.0, "gpu": 0.5}, 3)  # given wins
    # no autoscaler: the nodes up decide, as before
    assert plan_trials([{"CPU": 2}], None, 1.0, None, None) == ({"cpu": 1.0, "gpu": 0.0}, 2)
    assert plan_trials([{"CPU": 0}, {"CPU": 2, "GPU": 1}], None, 1.0, None, None) == ({"cpu": 1.0, "gpu": 0.5}, 2)
    # more nodes up than the config describes (added by hand): the larger count wins
    up = head_only + [{"CPU": 8, "GPU": 4}] * 9
    assert plan_trials(up, AWS, 1.0, 0.5, None)[1] == 72


def test_largest_cluster_keeps_the_workers_that_fit_most_trials_under_the_cap():
    config = {"head_node_type": "head", "max_workers": 2, "available_node_types": {
        "head": {"resources": {"CPU": 2}},
        "small": {"max_workers": 5, "resources": {"CPU": 1, "GPU": 1}},
        "big": {"max_workers": 1, "resources": {"CPU": 8, "GPU": 4}}}}
    nodes = largest_cluster(config, rank=lambda node: node["CPU"])
    assert nodes == [{"CPU": 2}, {"CPU": 8, "GPU": 4}, {"CPU": 1, "GPU": 1}]
    assert plan_trials([{"CPU": 2}], config, 1.0, 1.0, None)[1] == 5  # big 4 + small 1 (the head has no GPU)
    del config["available_node_types"]["small"]["max_workers"]  # then the cluster's cap is the type's
    assert len(largest_cluster(config)) == 1 + 2


def fake_proc(tmp_path: Path, config_file: Path) -> Path:
    """A /proc with the autoscaler of the cluster at 10.0.0.5:6379 running with ``config_file``."""
    proc = tmp_path / "proc"
    monitor = ["python3", "-u", "/x/ray/autoscaler/_private/monitor.py", "--logs-dir=/l"]
    for pid, args in {"10": monitor + ["--gcs-address=10.0.0.5:6379", f"--autoscaling-config={config_file}"],
                      "11": monitor + ["--gcs-address=10.0.0.5:6380"],  # another cluster, no autoscaler
                      "12": ["python3", "train.py", "--gcs-address=10.0.0.5:6381"]}.items():
        (proc / pid).mkdir(parents=True)
        (proc / pid / "cmdline").write_bytes("\0".join(args).encode() + b"\0")
    return proc


def test_autoscaling_config_is_read_from_the_monitor_of_this_clusters_gcs(tmp_path):
    config_file = tmp_path / "bootstrap.yaml"
    config_file.write_text(yaml.safe_dump(FAKE))
    proc = fake_proc(tmp_path, config_file)
    elsewhere = {"environ": {}, "bootstrap": tmp_path / "no_bootstrap.yaml", "proc": proc}  # not a `ray up` head
    assert autoscaling_config("10.0.0.5:6379", **elsewhere) == FAKE
    assert autoscaling_config("10.0.0.5:6380", **elsewhere) is None
    assert autoscaling_config("10.0.0.5:6381", **elsewhere) is None
    assert autoscaling_config("10.0.0.6:6379", **elsewhere) is None


def test_cluster_config_is_the_one_given_then_the_environments_then_ray_ups_then_the_autoscalers(tmp_path):
    configs = {}
    for source in ("given", "env", "bootstrap", "monitor"):
        configs[source] = {**FAKE, "cluster_name": source}
        (tmp_path / f"{source}.yaml").write_text(yaml.safe_dump(configs[source]))
    proc = fake_proc(tmp_path, tmp_path / "monitor.yaml")
    environ = {CONFIG_ENV: str(tmp_path / "env.yaml")}

    def found(given=None, environ=environ, bootstrap=tmp_path / "bootstrap.yaml", gcs="10.0.0.5:6379"):
        config = autoscaling_config(gcs, str(tmp_path / given) if given else None, environ=environ,
                                    bootstrap=bootstrap, proc=proc)
        return config and config["cluster_name"]

    assert found("given.yaml") == "given"
    assert found() == "env"
    assert found(environ={}) == "bootstrap"
    assert found(environ={}, bootstrap=tmp_path / "absent.yaml") == "monitor"
    # a search on a Ray of its own: only a config given counts (no autoscaler scales that Ray)
    assert found(environ={}, gcs=None) is None
    assert found(gcs=None) == "env" and found("given.yaml", gcs=None) == "given"


def test_ray_up_puts_the_cluster_config_where_the_search_looks():
    import inspect

    from ray.autoscaler._private import commands

    assert f'"{BOOTSTRAP_CONFIG}": remote_config_file.name' in inspect.getsource(commands)


@pytest.mark.parametrize("text, message", [
    (None, "does not exist"),
    ("head_node_type: [unclosed", "is not valid YAML"),
    ("just a string", "has no available_node_types"),
    ("available_node_types: [head]", "has no available_node_types"),
])
def test_a_cluster_config_given_but_unusable_is_a_one_line_error_naming_it(tmp_path, text, message):
    path = tmp_path / "cluster.yaml"
    if text is not None:
        path.write_text(text)
    for given, environ, source in ((str(path), {}, "cluster_config"),
                                   (None, {CONFIG_ENV: str(path)}, f"${CONFIG_ENV}")):
        with pytest.raises(RayganError) as error:
            explicit_config(given, environ)
        assert str(error.value).startswith(f"{source} {path}") and message in str(error.value)
        assert "\n" not in str(error.value) and "ray up" in str(error.value)
    assert explicit_config(None, {}) is None


def small_fake_cluster() -> dict:
    """cluster.fake.yaml, cut to fit two cores: one worker of each type, and 6 s of idleness ends a worker."""
    config = json.loads(json.dumps(FAKE))
    config.update(max_workers=2, idle_timeout_minutes=0.1)
    for name, spec in config["available_node_types"].items():
        if name != config["head_node_type"]:
            spec["max_workers"] = 1
    return config


def search_command(space, mnist_dir, tmp_path, name, *flags) -> list[str]:
    return ["python", "-m", "raygan.search", "--space", str(space), "--data-dir", str(mnist_dir),
            "--num-samples", "2", "--storage-path", str(tmp_path / "runs"), "--name", name,
            "--export", str(tmp_path / f"{name}.safetensors"), "--verbose", "0", *flags]


def reports(experiment: Path) -> dict[str, list[dict]]:
    return {trial.name: [json.loads(line) for line in (trial / "result.json").read_text().splitlines()]
            for trial in experiment.glob("train_gan_*")}


def wait_for_head_alone(head: Head) -> list[dict]:
    """Every node record (a dead node's keeps its id, not its resources) once only the head is alive
    (workers that are never removed: pytest-timeout ends the wait)."""
    while True:
        nodes = head.nodes()
        if sum(n["Alive"] for n in nodes) == 1:
            return nodes
        time.sleep(3)


def monitor_log(head: Head) -> str:
    return (head.logs / "monitor.log").read_text()


def check_autoscaled_search(head: Head, head_id: str, tmp_path: Path, name: str, gpu_share: float, output: str,
                            log_start: int) -> None:
    """Trials waited for GPUs, the autoscaler started GPU workers, every trial ran there (on the CPU:
    the GPUs are fake), the search exported, and the workers went when idle (the autoscaler's log
    from ``log_start`` on)."""
    from raygan import load_generator

    assert f"resources: 1 CPU and {gpu_share:g} GPU per trial" in output, output[-3000:]
    monitor = monitor_log(head)[log_start:]
    demand = re.search(r"\{[^}\n]*'GPU': %s[^}\n]*\} \* \d+ \(PACK\): \d+\+? pending placement group"
                       % gpu_share, monitor)
    launch = re.search(r":event_summary:Adding \d node\(s\) of type gpu_a10g", monitor[demand.end():] if demand else "")
    assert demand and launch, "the autoscaler did not launch GPU workers for waiting trials"
    nodes = wait_for_head_alone(head)
    workers = {n["NodeID"] for n in nodes if n["NodeID"] != head_id}  # all GPU-typed: no other type exists
    assert workers and not any(n["Alive"] for n in nodes if n["NodeID"] in workers), \
        "GPU workers were not removed after the idle timeout"
    assert re.search(r"Removing \d nodes of type gpu_a10g\w* \(idle\)", monitor_log(head)[log_start:])
    trials = reports(tmp_path / "runs" / name)
    assert len(trials) == 2
    assert {r["node_id"] for rows in trials.values() for r in rows} <= workers
    assert {r["device"] for rows in trials.values() for r in rows} == {"cpu"}
    assert load_generator(tmp_path / f"{name}.safetensors").sample(4).shape == (4, 1, 28, 28)


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the head, a search (limit 600 s), its workers' removal
def test_autoscaler_starts_gpu_workers_for_waiting_trials_then_removes_them(tmp_path, mnist_dir, tiny_space):
    """As the README runs it: RAY_ADDRESS (as in a Ray job; token auth) and no resource flags, so half a GPU per
    trial from the node types (an explicit --address and --gpus-per-trial: tests/tuning/test_ray_session.py,
    tests/test_cluster.py)."""
    space = tiny_space(max_steps=20, grace_period=20, patience=50)
    with ray_head(tmp_path, autoscaling_config=small_fake_cluster()) as head:
        [only] = head.nodes()
        assert only["Alive"] and only["Resources"].get("GPU", 0) == 0 and only["Resources"].get("CPU", 0) == 0

        log_start = len(monitor_log(head))
        run = subprocess.run(search_command(space, mnist_dir, tmp_path, "half"),
                             env={**head.env, "RAY_ADDRESS": head.address}, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "at most 4 at once" in run.stdout  # two GPU workers at most, none up yet: two half-GPU trials each
        check_autoscaled_search(head, only["NodeID"], tmp_path, "half", 0.5, run.stdout, log_start)

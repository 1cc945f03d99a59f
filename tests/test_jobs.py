"""``ray job submit`` of a search to a running cluster with token authentication, as the README shows it."""
import re
import subprocess
from pathlib import Path

import pytest
from ray_head import BIN, ray_head

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the head's start, then submits (limits 120 s and 600 s)
def test_search_submitted_as_a_ray_job_runs_on_the_cluster_and_exports(tmp_path, mnist_dir, tiny_space):
    from raygan import load_generator

    space = tiny_space(max_steps=20, grace_period=20, patience=50)
    search = ["python", "-m", "raygan.search", "--space", str(space), "--data-dir", str(mnist_dir),
              "--num-samples", "2", "--storage-path", str(tmp_path / "runs"), "--name", "job",
              "--export", str(tmp_path / "best.safetensors"), "--verbose", "0"]
    with ray_head(tmp_path, dashboard=True, num_cpus=2) as head:
        submit = [str(BIN / "ray"), "job", "submit", "--address", head.dashboard, "--working-dir", "."]
        tokenless = {k: v for k, v in head.env.items() if not k.startswith("RAY_AUTH")}
        refused = subprocess.run(submit + ["--", "true"], env=tokenless, capture_output=True, text=True,
                                 timeout=120, cwd=REPO)
        assert refused.returncode != 0 and "token" in (refused.stdout + refused.stderr).lower()

        # as the README does it: the head's token in a file, named by RAY_AUTH_TOKEN_PATH
        token_file = tmp_path / "ray-token"
        token_file.write_text(head.env["RAY_AUTH_TOKEN"])
        client = {**tokenless, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_file)}
        job = subprocess.run(submit + ["--", *search], env=client, capture_output=True, text=True,
                             timeout=600, cwd=REPO)
        output = job.stdout + job.stderr
        assert job.returncode == 0 and re.search(r"Job 'raysubmit_\w+' succeeded", output), output[-3000:]
        [head_node] = [n["NodeID"] for n in head.nodes() if n["Alive"]]
    # the job's driver joined this cluster (RAY_ADDRESS) rather than starting a Ray of its own
    assert "resources: 1 CPU and 0 GPU per trial, at most 2 at once" in output
    from test_autoscaler import reports

    trials = reports(tmp_path / "runs" / "job")
    assert len(trials) == 2 and {r["node_id"] for rows in trials.values() for r in rows} == {head_node}
    assert (tmp_path / "runs" / "job" / "report.html").is_file()
    assert load_generator(tmp_path / "best.safetensors").sample(4).shape == (4, 1, 28, 28)

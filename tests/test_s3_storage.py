"""``--storage-path s3://bucket/prefix`` against a local S3 server (moto), through the pyarrow S3
filesystem Ray uses on AWS; the endpoint comes from ``AWS_ENDPOINT_URL``, as for any S3-compatible store."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from ray_head import free_port

BUCKET = "raygan-runs"


@pytest.fixture
def s3_env():
    """A moto S3 server on 127.0.0.1 with an empty bucket; yields the environment that points clients at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
    try:
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)
        yield {**os.environ, **env}, client
    finally:
        server.stop()


def keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", [])]


def trial_results(client, prefix: str) -> dict[str, str]:
    return {key.split("/")[0]: client.get_object(Bucket=BUCKET, Key=prefix + key)["Body"].read().decode()
            for key in keys(client, prefix) if key.endswith("/result.json") and key.count("/") == 1}


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a search until its 2nd trial reports, then its resume (limit 400 s)
def test_search_on_s3_survives_a_killed_driver_and_exports_from_the_bucket(tmp_path, mnist_dir, tiny_space, s3_env):
    from raygan import load_generator

    env, client = s3_env
    env["TUNE_GLOBAL_CHECKPOINT_S"] = "1"
    space = tiny_space(max_steps=60, grace_period=60, patience=50, search="final_kimg: 7.68")  # and a final run
    prefix = "raygan/s3/"
    command = [sys.executable, "-m", "raygan.search", "--space", str(space), "--data-dir", str(mnist_dir),
               "--num-samples", "3", "--max-concurrent", "1", "--storage-path", f"s3://{BUCKET}/raygan",
               "--name", "s3", "--verbose", "0"]
    driver = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        # one trial at a time: a second trial's results in the bucket mean the first finished (pytest-timeout
        # ends a hang)
        while len(trial_results(client, prefix)) < 2:
            assert driver.poll() is None, "the search ended before its second trial reported"
            time.sleep(1)
        before = trial_results(client, prefix)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started
        driver.wait()
    stored = keys(client, prefix)
    assert any(key.startswith("experiment_state-") for key in stored) and "tuner.pkl" in stored
    assert any("/checkpoint_" in key and key.endswith("/trainer.pt") for key in stored)
    assert any(key.endswith("/best_generator.safetensors") for key in stored)

    resumed = subprocess.run(command + ["--resume", "--export", str(tmp_path / "best.safetensors")], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # the summary, plots and report: local in ./runs/NAME where the search ran, and copied into the bucket
    local = tmp_path / "runs" / "s3"
    rows = [json.loads(line) for line in (local / "summary.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(row["status"] == "completed" for row in rows), rows  # not started over
    (final,) = [row for row in rows if row["phase"] == "final run"]  # from the best trial's checkpoint in the bucket
    assert final["lineage"].split("@")[0] == min((r for r in rows if r is not final), key=lambda r: r["best"])["trial"]
    assert (local / "report.html").is_file() and (local / "best_curves.png").is_file()
    stored = keys(client, prefix)
    assert {"summary.jsonl", "report.html", "best_curves.png", "search.json"} <= set(stored)
    assert client.get_object(Bucket=BUCKET, Key=prefix + "summary.jsonl")["Body"].read() == \
        (local / "summary.jsonl").read_bytes()
    finished = max(before, key=lambda trial: len(before[trial]))  # the first: reported everything it had
    assert trial_results(client, prefix)[finished].startswith(before[finished])  # kept, not redone
    # once the search is over its checkpoints are gone from the bucket; every trial keeps its best generator
    stored = keys(client, prefix)
    assert not any("/checkpoint_" in key for key in stored)
    with_best = {key.rsplit("/", 1)[0] for key in stored if key.endswith("/best_generator.safetensors")}
    owners = {folder: next((row["trial"] for row in rows if f"_{row['trial']}_" in folder), None)
              for folder in with_best | set(trial_results(client, prefix))}
    assert {owners[folder] for folder in with_best} - {None} == {row["trial"] for row in rows}
    assert all(folder in with_best for folder, owner in owners.items() if owner)
    # a trial the killed driver started but had not yet recorded is run afresh by --resume: its folder may remain,
    # with no checkpoint (above)
    assert sum(owner is None for owner in owners.values()) <= 1
    # the export is the best trial's best generator, read back from the bucket
    exported = load_generator(tmp_path / "best.safetensors")
    best = re.search(r"best generator: .* \(trial (\w+),", resumed.stdout).group(1)
    assert exported.metadata["trial"] == best and best in {row["trial"] for row in rows}
    assert exported.sample(4).shape == (4, 1, 28, 28)
    assert f"experiment: s3://{BUCKET}/raygan/s3" in resumed.stdout

"""A worker node dies mid-trial: the trial restarts on another node from its last checkpoint on
shared storage, with its own hyper-parameters, and keeps everything it reported before."""
import json
import os
import sys
import threading
import time

import pytest
import ray
from ray import cloudpickle

import raygan.tuning.trainable

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the trial wrapper below runs in Ray workers

KILL_AFTER = 5  # reports the trial makes on the node that is then removed
NOTED = ("trial", "kimg", "step", "node_id", "pid", "fid", "fid_best")  # of each report, for the test to compare


class HeldTune:
    """ray.tune as the trainable sees it, except that on the trial's first start, after its KILL_AFTER-th
    report, the trial writes down what it reported (``reported``) and waits until ``removed`` exists.

    ``tune.report`` returns only when the driver asks for the next result, after it recorded this one
    (synchronous reporting; Tune's loggers run before it schedules the next step), so while the trial
    waits, its reports so far are in Tune's records and none is in flight.
    """

    def __init__(self, real, reported: str, removed: str):
        self.real, self.reported, self.removed = real, reported, removed
        self.sent: list[dict] = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def report(self, metrics, checkpoint=None):
        self.real.report(metrics, checkpoint=checkpoint)
        self.sent.append({key: metrics[key] for key in NOTED})
        if len(self.sent) == KILL_AFTER and not os.path.exists(self.reported):
            with open(f"{self.reported}.tmp", "w") as fh:
                json.dump(self.sent, fh)
            os.replace(f"{self.reported}.tmp", self.reported)
            while not os.path.exists(self.removed):  # the node goes, and this process with it
                time.sleep(0.1)


def held_after_reports(config, data, settings, reported, removed):
    raygan.tuning.trainable.tune = HeldTune(ray.tune, reported, removed)
    raygan.tuning.trainable.train_gan(config, data, settings)


@pytest.mark.slow
def test_trial_on_a_removed_node_restarts_elsewhere_from_its_checkpoint(tmp_path, mnist_dir, tiny_space, monkeypatch):
    from ray.cluster_utils import Cluster

    from raygan.data import open_source
    from raygan.records import read_jsonl
    from raygan.space import load_space
    from raygan.tuning import SearchOptions, run_search
    from raygan.tuning.trial_row import Status

    reported, removed = tmp_path / "reported.json", tmp_path / "node-removed"
    # Tune's experiment snapshots (which upload the trial's result.json) only at the start and after every
    # KEPT_CHECKPOINTS checkpoints (4): storage's copy of the reports is stale when the node dies, as a busy
    # driver's can be, and the restarted trial must still keep every report
    monkeypatch.setenv("TUNE_GLOBAL_CHECKPOINT_S", "3600")
    monkeypatch.setattr("raygan.tuning.driver.train_gan", lambda config, data, settings: held_after_reports(
        config, data, settings, str(reported), str(removed)))
    space = load_space(tiny_space(max_steps=120, grace_period=120, patience=50))  # 6 reports, each checkpointed
    storage = tmp_path / "shared-storage"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = {node.node_id: node for node in (cluster.add_node(num_cpus=1) for _ in range(2))}
    outcome, failure = [], []
    try:
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, logging_level="ERROR")
        options = SearchOptions(num_samples=1, cpus_per_trial=1, gpus_per_trial=0, max_failures=2,
                                storage_path=str(storage), name="dead-node", verbose=0)

        def search():
            try:
                outcome.append(run_search(space, open_source("mnist", mnist_dir), options))
            except BaseException as err:  # noqa: BLE001 - reported by the assertion below
                failure.append(err)

        driver = threading.Thread(target=search, daemon=True)
        driver.start()
        while not reported.exists():  # (pytest-timeout ends a trial that never gets there)
            assert driver.is_alive(), failure or f"the search ended before the trial's report {KILL_AFTER}"
            time.sleep(0.2)
        before = json.loads(reported.read_text())
        doomed = before[-1]["node_id"]
        cluster.remove_node(workers[doomed])  # the node and the trial's worker process on it die
        removed.touch()  # (a trial that outlived its node would go on there, and fail the checks below)
        driver.join()
        assert not failure, failure
    finally:
        removed.touch()
        ray.shutdown()
        cluster.shutdown()

    [row] = outcome[0].rows
    assert row.status is Status.COMPLETED
    [results] = storage.glob("dead-node/*/result.json")
    after = read_jsonl(results)
    # nothing reported before the kill is lost: Tune's first records are the reports made on the doomed node
    assert [{key: r[key] for key in NOTED} for r in after[:KILL_AFTER]] == before
    restarted = after[KILL_AFTER:]
    [survivor] = set(workers) - {doomed}
    assert restarted and {r["node_id"] for r in restarted} == {survivor}
    # it continued from its last checkpoint (every report is one), not from scratch, and redid nothing: each
    # report point once, in order, to the end. None is missing: the trial was waiting between reports, with
    # none in flight, when its node died.
    budget = space.budget
    every_report = [round(budget.report_kimg * (i + 1), 3) for i in range(round(budget.max_kimg / budget.report_kimg))]
    assert [round(r["kimg"], 3) for r in after] == every_report
    assert restarted[0]["step"] == before[-1]["step"] + before[0]["step"]
    assert all(r["config"] == after[0]["config"] and r["trial"] == before[0]["trial"] for r in after)

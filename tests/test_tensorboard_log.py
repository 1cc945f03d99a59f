"""TensorBoard events of a run: every report's numbers by group and its sample grid, at x = images shown to D."""
import torch

from raygan.tensorboard_log import TensorBoardLog, scalars, tag


def test_report_keys_are_grouped_and_only_finite_numbers_plotted():
    report = {"step": 20, "kimg": 1.28, "pid": 7, "loss_d": 0.7, "d_acc": 0.6, "tp": 12, "fid": 310.5,
              "fid_best": 300.0, "fid_raw": 320.0, "lr_g_in_use": 2e-4, "images_per_s": 900.0, "memory_mb": 800.0,
              "collapsed": False, "collapse_reason": "", "kid": float("nan"), "lineage": "a@1"}
    assert scalars(report) == {"train/loss_d": 0.7, "train/d_acc": 0.6, "train/tp": 12.0, "quality/fid": 310.5,
                               "quality/fid_best": 300.0, "quality/fid_raw": 320.0, "optimizer/lr_g_in_use": 2e-4,
                               "system/images_per_s": 900.0, "system/memory_mb": 800.0}
    assert tag("classes_covered") == "quality/classes_covered" and tag("d_acc_fake") == "train/d_acc_fake"
    assert tag("r_t") == "overfitting/r_t" and tag("d_acc_heldout") == "overfitting/d_acc_heldout"
    assert tag("train_s") == "system/train_s" and tag("grids_s") == "system/grids_s"


def test_a_resumed_log_drops_the_events_after_its_checkpoint(tmp_path, tensorboard_runs):
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    log = TensorBoardLog(tmp_path / "tb")
    for kimg, fid in ((1.0, 300.0), (2.0, 200.0), (3.0, 150.0)):
        log.add({"kimg": kimg, "fid": fid}, images, 2)
    log.close()
    # killed after kimg 2's checkpoint, resumed from it
    resumed = TensorBoardLog(tmp_path / "tb", history=[{"kimg": 1.0}, {"kimg": 2.0}])
    resumed.add({"kimg": 3.0, "fid": 140.0}, images, 2)
    resumed.close()
    (fid, samples), = [(s["quality/fid"], i["samples"]) for s, i in tensorboard_runs(tmp_path).values()]
    assert fid == [(1000, 300.0), (2000, 200.0), (3000, 140.0)] and samples == [1000, 2000, 3000]

"""Image folders end to end: train, evaluate, generate and search on folders built from real digits."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from raygan import load_generator
from raygan.evaluate import main as evaluate_main
from raygan.generate import main as generate_main
from raygan.metrics import Evaluator
from raygan.train import main as train_main

RUN = ["--kimg", "0.64", "--report-kimg", "0.32", "--quick-num", "200", "--final-num", "500", "--device", "cpu",
       "--set", "batch_size=16", "--set", "latent_dim=16"]
SMALL = [*RUN, "--set", "g_width=8", "--set", "d_width=8"]  # small DCGAN nets


def test_a_colour_folder_trains_evaluates_and_draws_colour_grids(tmp_path, colour_folder, folder_with_evaluator,
                                                                 mnist_dir, capsys):
    _, test_set = folder_with_evaluator(colour_folder)
    out = tmp_path / "run"
    train_main(["--model", "cdcgan", "--data-dir", str(colour_folder), "--out", str(out), *SMALL])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    options = json.loads((out / "options.json").read_text())
    assert options["config"]["dataset"] == "folder" and options["image_size"] is None
    generator = load_generator(out / "generator.safetensors")
    assert generator.sample(5, labels=[0, 1, 2, 3, 4]).shape == (5, 3, 32, 32)
    meta = generator.metadata
    assert meta["class_names"] == list(test_set.info.class_names) and meta["image_shape"] == [3, 32, 32]
    assert meta["dataset_name"] == "colour_digits" and meta["data_fingerprint"] == test_set.info.fingerprint
    assert summary["evaluator"] == meta["metrics"]["evaluator"] and summary["evaluator"].startswith("colour_digits-")
    assert "classes_covered" in summary
    assert summary["samples_per_class"] == 50 and summary["intra_fid"] > 0 and "label_acc_worst" in summary
    # label_acc is the share of the export's 500 seeded samples (labels 0..9 in turn) that the folder's evaluator
    # classifies as the label asked for, computed here from the export and the stored evaluator alone
    labels = torch.arange(500) % 10
    samples = generator.sample(500, labels=labels, generator=torch.Generator().manual_seed(0))
    predicted = Evaluator.load(test_set.info).network()(samples)[1].argmax(dim=1)
    assert summary["label_acc"] == pytest.approx((predicted == labels).double().mean().item(), abs=1e-12)

    evaluate_main([str(out / "generator.safetensors"), "--data-dir", str(colour_folder), "--num", "500"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["dataset"] == "colour_digits" and record["evaluator"] == summary["evaluator"]
    assert record["fid"] == pytest.approx(summary["fid"], rel=1e-4)  # the same seeded samples, the same evaluator
    with pytest.raises(SystemExit) as exit_info:  # MNIST's files: the wrong shape, said in one line
        evaluate_main([str(out / "generator.safetensors"), "--data-dir", str(mnist_dir)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert "draws 3x32x32 images and mnist's are 1x28x28; measure it against the image folder" in err

    generate_main([str(out / "generator.safetensors"), "--label", "2", "--num", "16", "--out", str(tmp_path / "g.png")])
    grid = np.asarray(Image.open(tmp_path / "g.png"))
    assert grid.ndim == 3 and grid.shape[2] in (3, 4) and grid[..., 0].astype(int).sum() != grid[..., 1].sum()
    generate_main([str(out / "generator.safetensors"), "--num", "20", "--out", str(tmp_path / "rows.png")])
    assert Image.open(tmp_path / "rows.png").size[1] > 10 * 34  # ten named rows of 32-pixel colour samples


def test_a_flat_folder_trains_unconditionally_without_class_metrics(tmp_path, flat_folder, folder_with_evaluator,
                                                                    fashion_dir, capsys):
    folder_with_evaluator(flat_folder)
    out = tmp_path / "flat"
    train_main(["--model", "dcgan", "--data-dir", str(flat_folder), "--out", str(out), *SMALL])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "fid" in summary and "diversity" in summary and "classes_covered" not in summary
    assert load_generator(out / "generator.safetensors").sample(2).shape == (2, 1, 28, 28)
    # the folder holds Fashion-MNIST images: measured against the dataset's own files and evaluator, by pointing
    # --data-dir at them, with no --dataset
    evaluate_main([str(out / "generator.safetensors"), "--data-dir", str(fashion_dir), "--num", "500",
                   "--metrics", "fid,classes_covered"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["dataset"] == "fashion_mnist" and record["evaluator"].startswith("fashion_mnist-")
    assert record["fid"] > 0 and 1 <= record["classes_covered"] <= 10


def test_a_conditional_model_on_a_flat_folder_is_a_one_line_error(tmp_path, flat_folder, folder_with_evaluator):
    folder_with_evaluator(flat_folder)
    done = subprocess.run([sys.executable, "-m", "raygan.train", "--model", "cgan", "--data-dir", str(flat_folder),
                           "--out", str(tmp_path / "c"), *RUN], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cgan is conditional and needs labelled images" in done.stderr and "class subfolders" in done.stderr


@pytest.mark.parametrize("flag, value, words", [("--image-size", "40", "image_size must be one of 28, 32, 64"),
                                                 ("--channels", "2", "channels must be one of 1, 3")])
def test_bad_shape_flags_fail_before_any_work(tmp_path, digit_folder, flag, value, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_main(["--data-dir", str(digit_folder), "--out", str(tmp_path / "x"), flag, value])
    assert exit_info.value.code == 2 and words in capsys.readouterr().err and not (tmp_path / "x").exists()


SPACE = """
model: dcgan
dataset: {dataset}
image_size: 32
budget: {{max_kimg: 0.64, report_kimg: 0.32, checkpoint_every: 1, quick_num: 200, final_num: 500}}
search: {{grace_kimg: 0.32, reduction_factor: 2}}
collapse: {{patience: 5, warmup_kimg: 0}}
fixed: {{g_width: 8, d_width: 8, latent_dim: 16, batch_size: 16}}
params:
  lr_g: {{dist: loguniform, low: 1.0e-4, high: 1.0e-3}}
"""


@pytest.mark.slow
@pytest.mark.timeout(1200)  # its own limit: 600 s for the search, after the folder's evaluator
def test_a_search_on_a_colour_folder_exports_a_colour_generator(tmp_path, colour_folder, folder_with_evaluator):
    """``dataset: PATH`` in the space (with ``image_size``); the export keeps the folder's shape and evaluator."""
    folder_with_evaluator(colour_folder)
    space = tmp_path / "space.yaml"
    space.write_text(SPACE.format(dataset=colour_folder))
    export = tmp_path / "best.safetensors"
    done = subprocess.run([sys.executable, "-m", "raygan.search", "--space", str(space), "--num-samples", "2",
                           "--storage-path", str(tmp_path / "runs"), "--name", "colour", "--export", str(export),
                           "--verbose", "0"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "dcgan on colour_digits" in done.stdout
    generator = load_generator(export)
    assert generator.sample(3).shape == (3, 3, 32, 32)
    assert generator.metadata["metrics"]["evaluator"].startswith("colour_digits-")
    assert generator.metadata["search_space"]["dataset"] == str(colour_folder)
    assert generator.metadata["search_space"]["image_size"] == 32

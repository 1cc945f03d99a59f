"""The benchmarks' short forms on real MNIST, and what every benchmark record carries (bench/record.py)."""
import json
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.engine import main
from bench.record import cpu_model, git_state, provenance
from raygan.config import GANConfig
from raygan.records import read_jsonl

REPO = Path(__file__).resolve().parents[1]
PROVENANCE = {"date", "cpu", "torch", "commit", "dirty"}


def _mlp_flops(widths):
    """2 * multiply-adds of one forward pass through linear layers of these widths."""
    return 2 * sum(a * b for a, b in zip(widths, widths[1:]))


def _table(printed: str) -> list[dict]:
    """The rows of the Markdown table in ``printed``, each keyed by the header's cells."""
    cells = [[cell.strip() for cell in line.strip("|").split("|")]
             for line in printed.splitlines() if line.startswith("|")]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


def _git(*args, repo=REPO) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def _measured_here(record: dict) -> None:
    """``record`` was measured now, on this machine, with this torch, at this checkout's HEAD."""
    assert PROVENANCE <= set(record) and record["commit"] == _git("rev-parse", "HEAD")
    assert record["torch"] == torch.__version__ and record["cpu"] == cpu_model()
    assert abs(datetime.now(timezone.utc) - datetime.fromisoformat(record["date"])).total_seconds() < 600


def test_short_benchmark_reports_both_loops(tmp_path, mnist_dir, capsys):
    out = tmp_path / "bench.json"
    main(["--data-dir", str(mnist_dir), "--models", "gan,cgan", "--steps", "6", "--warmup", "2",
          "--eval-num", "500", "--device", "cpu", "--json", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert json.loads(printed.splitlines()[-1]) == result
    _measured_here(result)
    assert [row["model"] for row in result["models"]] == ["gan", "cgan"]
    # One engine step per real image, counted by torch, against the count by hand for the default MLP GAN:
    # G forward; D forward and weight gradients on real + fake; D input gradients (not for its first layer's
    # input); then for G's update D forward and input gradients on the fake, and G's backward (not into z).
    latent = GANConfig.from_dict({"model": "gan"}).latent_dim  # its recipe's
    g, d = _mlp_flops([latent, 256, 512, 1024, 784]), _mlp_flops([784, 1024, 512, 256, 1])
    by_hand = g + 2 * d + 2 * d + 2 * (d - 2 * 784 * 1024) + d + d + g + (g - 2 * latent * 256)
    gan, cgan = result["models"]
    assert gan["train_flops_per_image"] == by_hand
    assert cgan["train_flops_per_image"] > by_hand  # the label code widens G's and D's first layers
    # the table shows what was measured: both rates, their ratio as the speedup, the FLOPs in GFLOP
    for row, shown in zip(result["models"], _table(printed), strict=True):
        assert (shown["model"], shown["batch"]) == (row["model"], "64")
        assert int(shown["reference img/s"].replace(",", "")) == round(row["reference_images_per_s"])
        assert int(shown["raygan img/s"].replace(",", "")) == round(row["raygan_images_per_s"])
        assert float(shown["speedup"].removesuffix("x")) == pytest.approx(
            row["raygan_images_per_s"] / row["reference_images_per_s"], abs=0.005)
        assert float(shown["train GFLOP/img"]) == pytest.approx(row["train_flops_per_image"] / 1e9, abs=5e-5)
    # both evaluation timings recorded (which is faster is the benchmark's finding, not a test's: the first also
    # embeds the 10,000 test images, but a busy machine, such as the suite's other worker, can reverse them)
    assert result["eval_first_s"] > 0 < result["eval_cached_s"] and result["eval_num"] == 500


@pytest.mark.parametrize("args, message", [
    (["--models", "gan,vae"], "unknown model 'vae'"),
    (["--eval-num", "3"], "--eval-num must be 0 (skip) or at least 10"),
    (["--data-dir", "/nonexistent"], "/nonexistent does not exist"),
    (["--json", "/proc/nope/b.json"], "cannot write /proc/nope/b.json"),
])
def test_bad_input_is_one_line(mnist_dir, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(mnist_dir), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_gpu_share_benchmark_runs_concurrent_trials_on_the_cpu(tmp_path, mnist_dir, capsys):
    from bench import gpu_share

    out = tmp_path / "share.json"
    gpu_share.main(["--data-dir", str(mnist_dir), "--model", "gan", "--counts", "1,2", "--steps", "4",
                    "--warmup", "1", "--device", "cpu", "--json", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    _measured_here(result)
    assert [row["trials"] for row in result["rows"]] == [1, 2] and result["mps"] is False
    one = result["rows"][0]
    assert one["scaling"] == pytest.approx(1.0)
    for row, shown in zip(result["rows"], _table(printed), strict=True):
        aggregate = row["trials"] * 4 * 64 / row["wall_s"]  # every image of every trial over the shared wall time
        assert row["aggregate_images_per_s"] == pytest.approx(aggregate)
        assert row["per_trial_images_per_s"] == pytest.approx(aggregate / row["trials"])
        assert int(shown["trials per device"]) == row["trials"]
        assert int(shown["aggregate img/s"].replace(",", "")) == round(aggregate)
        assert float(shown["vs one trial alone"].removesuffix("x")) == pytest.approx(
            aggregate / one["aggregate_images_per_s"], abs=0.005)


@pytest.mark.parametrize("args, message", [
    (["--counts", "1,0"], "--counts must be positive whole numbers"),
    (["--mps", "--device", "cpu"], "--mps needs a CUDA device with the MPS daemon up"),
    (["--model", "vae"], "--model"),
])
def test_gpu_share_bad_input_is_one_line(mnist_dir, capsys, args, message):
    from bench import gpu_share

    with pytest.raises(SystemExit) as exit_info:
        gpu_share.main(["--data-dir", str(mnist_dir), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


def test_gpu_share_prints_the_mps_steps(capsys):
    from bench import gpu_share

    gpu_share.main(["--mps-steps"])
    assert "nvidia-cuda-mps-control -d" in capsys.readouterr().out


def test_storage_benchmark_adds_up_what_a_search_kept_and_wrote(tmp_path, capsys):
    """An experiment folder as a search leaves it: a search trial and a final run with their reports' saving
    records, and a trial of an older raygan (no records, a checkpoint kept), whose writes are estimated."""
    from bench.storage import main as storage_main

    def trial(folder, reports, saving=True, checkpoint=0):
        (folder / "samples").mkdir(parents=True)
        for k, report in enumerate(reports):
            (folder / "samples" / f"kimg_{k:09d}.png").write_bytes(b"g" * 10)
            if saving:
                report["saving"] = {"bytes": 100 * (k + 1), "seconds": 0.5 * (k + 1)}
        (folder / "result.json").write_text("".join(json.dumps(r) + "\n" for r in reports))
        (folder / "best_generator.safetensors").write_bytes(b"b" * 50)
        if checkpoint:
            (folder / "checkpoint_000001").mkdir()
            (folder / "checkpoint_000001" / "trainer.pt").write_bytes(b"c" * checkpoint)

    experiment = tmp_path / "runs" / "s"
    trial(experiment / "train_gan_a", [{"checkpoint_dir_name": "checkpoint_000000"}, {"checkpoint_dir_name": None}])
    trial(experiment / "final" / "train_gan_f", [{"checkpoint_dir_name": None}])
    trial(experiment / "train_gan_old", [{"checkpoint_dir_name": "checkpoint_000000"}], saving=False, checkpoint=1000)
    (experiment / "summary.jsonl").write_text("{}\n")
    storage_main([str(experiment), "--json", str(tmp_path / "storage.jsonl")])
    printed = capsys.readouterr().out
    (record,) = read_jsonl(tmp_path / "storage.jsonl")
    assert json.loads(printed.splitlines()[-1]) == record
    _measured_here(record)
    assert record["kept"] == {"checkpoints": 1000, "best generators": 150, "grids and events": 40,
                              "Tune's records": sum((f / "result.json").stat().st_size
                                                    for f in experiment.rglob("train_gan_*")), "reports": 3}
    assert record["bytes_kept"] == sum(record["kept"].values()) and record["checkpoint_mean_bytes"] == 1000
    search, final = record["phases"]
    # the old trial: its checkpoint at the size kept, and its one grid copied at its one report
    assert search == {"name": "search", "trials": 2, "reports": 3, "checkpoints": 2, "estimated": True,
                      "bytes_written": 100 + 200 + 1000 + 10, "save_s": None, "save_s_mean": None,
                      "save_s_max": None}
    assert final == {"name": "final run", "trials": 1, "reports": 1, "checkpoints": 0, "estimated": False,
                     "bytes_written": 100, "save_s": 0.5, "save_s_mean": 0.5, "save_s_max": 0.5}
    assert "| final run | 1 | 1 | 0 | 0.0 MB | 0.50 | 0.50 / 0.50 |" in printed


def test_provenance_is_this_checkouts_head_this_cpu_and_torch():
    _measured_here(provenance())


def test_git_state_is_head_and_whether_tracked_code_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above tmp_path is found
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "bench" / "engine.py").write_text("STEPS = 300\n")
    (repo / "bench" / "engine.jsonl").write_text("{}\n")
    _git("init", "-q", repo=repo)
    _git("add", ".", repo=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "m",
         repo=repo)
    head = _git("rev-parse", "HEAD", repo=repo)
    assert git_state(repo) == (head, False)
    (repo / "bench" / "engine.jsonl").write_text("{}\n{}\n")  # a record appended: the code is as committed
    (repo / "runs").mkdir()
    (repo / "runs" / "generator.safetensors").write_text("")  # untracked output
    assert git_state(repo) == (head, False)
    (repo / "bench" / "engine.py").write_text("STEPS = 500\n")
    assert git_state(repo) == (head, True)
    (tmp_path / "plain").mkdir()
    assert git_state(tmp_path / "plain") == (None, None)


def test_cpu_model_is_procs_model_name_else_platforms(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\n"
                    "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
    assert cpu_model(info) == "AMD EPYC 7B13"
    monkeypatch.setattr(platform, "processor", lambda: "aarch64")
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n")  # ARM Linux: no model name
    assert cpu_model(info) == "aarch64"
    assert cpu_model(tmp_path / "missing") == "aarch64"
    monkeypatch.setattr(platform, "processor", lambda: "")
    assert cpu_model(tmp_path / "missing") is None


def _fake_search_vs_single(monkeypatch, tmp_path):
    from bench import search_vs_single

    measured = {"model": "gan", "dataset": "mnist", "time_budget_s": 60.0, "space": "gan.yaml", "device": "cpu",
                "search": {"seconds": 61.0, "budget": [], "evaluator": "mnist-68f2fc39", "fid": 50.0},
                "single": {"seconds": 60.0, "evaluator": "mnist-68f2fc39", "fid": 100.0}}
    monkeypatch.setattr(search_vs_single, "compare", lambda args: measured)
    return search_vs_single.main, ["--time-budget", "1m", "--data-dir", "unused", "--out", str(tmp_path / "out")], \
        measured


def _fake_image_folders(monkeypatch, tmp_path):
    from bench import image_folders

    measured = {"bench": "folder_vs_idx", "model": "dcgan", "fid_ratio_folder_over_idx": 1.004}
    monkeypatch.setattr(image_folders, "folder_vs_idx", lambda args, out, log: measured)
    monkeypatch.setenv("RAYGAN_CACHE", str(tmp_path / "cache"))  # main points it at its --out: restored after
    return image_folders.main, ["--idx-dir", "unused", "--out", str(tmp_path / "out")], measured


@pytest.mark.parametrize("fake", [_fake_search_vs_single, _fake_image_folders])
def test_appended_records_carry_their_provenance(tmp_path, monkeypatch, capsys, fake):
    records = tmp_path / "records.jsonl"
    records.write_text('{"earlier": 1}\n')
    main, args, measured = fake(monkeypatch, tmp_path)
    main([*args, "--json", str(records)])
    earlier, record = read_jsonl(records)
    assert earlier == {"earlier": 1}
    _measured_here(record)
    assert {k: v for k, v in record.items() if k not in PROVENANCE} == measured


@pytest.mark.parametrize("name", sorted(path.name for path in (REPO / "bench").glob("*.jsonl")))
def test_every_stored_record_says_when_where_with_what_and_at_which_commit(name):
    shallow = _git("rev-parse", "--is-shallow-repository") == "true"
    for record in read_jsonl(REPO / "bench" / name):
        assert PROVENANCE <= set(record)
        assert re.match(r"\d{4}-\d\d-\d\d", record["date"]) and re.fullmatch(r"[0-9a-f]{40}", record["commit"])
        if not shallow:  # a commit of this repository's history
            assert _git("cat-file", "-t", record["commit"]) == "commit"
        unknown = [key for key in PROVENANCE if record[key] is None]
        assert not unknown or record["provenance"].startswith("recovered from git history"), unknown


def test_conditioning_benchmark_trains_and_measures_each_variant(tmp_path, mnist_dir, capsys, monkeypatch):
    import bench.conditioning as conditioning

    monkeypatch.setattr(conditioning, "FINAL_NUM", 500)  # a small sample, as every metric still applies
    conditioning.main(["--data-dir", str(mnist_dir), "--time-budget", "2s", "--variants", "input,cbn-projection",
                       "--set", "g_width=8", "--set", "d_width=8", "--out", str(tmp_path / "runs"),
                       "--grids", str(tmp_path / "grids"), "--json", str(tmp_path / "c.jsonl")])
    record = read_jsonl(tmp_path / "c.jsonl")[0]
    assert record["recipe"]["g_width"] == 8 and record["recipe"]["loss"] == "hinge"
    rows = record["variants"]
    assert list(rows) == ["input", "cbn-projection"]
    assert rows["cbn-projection"]["conditioning"]["d_cond"] == "projection"
    for row in rows.values():
        assert row["num_samples"] == 500 and row["samples_per_class"] == 50 and row["kimg"] > 0
        assert 0 <= row["label_acc_worst"] <= row["label_acc"] <= 1 and row["intra_fid"] > 0 and row["fid"] > 0
        assert row["sharpness"] > 0 and row["speckle"] > 0 and Path(row["grid"]).stat().st_size > 1000
    assert "| cbn-projection |" in capsys.readouterr().out


def test_image_statistics_fall_with_blur_and_rise_with_speckle(mnist_dir):
    from bench.conditioning import image_statistics
    from raygan.data import load_dataset

    images = load_dataset("mnist", mnist_dir, "test").floats(0, 200)
    sharpness, speckle = image_statistics(images)
    blurred = torch.nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    speckled = images.clone()
    speckled.view(-1)[torch.randperm(speckled.numel(), generator=torch.Generator().manual_seed(0))[:5000]] = 1.0
    assert image_statistics(blurred)[0] < 0.5 * sharpness
    assert image_statistics(speckled)[1] > 2 * speckle


@pytest.mark.parametrize("args, message", [
    (["--variants", "input,concat"], "--variants: unknown concat; choose from input, hidden"),
    (["--set", "d_cond=ac"], "--set: d_cond is what the variants set; drop it and choose --variants"),
    (["--set", "lr_g=-1"], "--set: lr_g must be in (0, 10], got -1.0"),
])
def test_conditioning_benchmark_bad_input_is_one_line(tmp_path, mnist_dir, capsys, args, message):
    from bench.conditioning import main as conditioning

    with pytest.raises(SystemExit) as exit_:
        conditioning(["--data-dir", str(mnist_dir), "--time-budget", "1s", "--out", str(tmp_path / "o"),
                      "--model", "cdcgan", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("single", ["defaults", "start"])
def test_search_vs_single_trains_the_recipe_it_is_asked_for(tmp_path, monkeypatch, single):
    """The single arm runs train with every default, or with the space's fixed values and first start_with point."""
    from bench import search_vs_single
    from raygan.space import load_space

    commands = []
    monkeypatch.setattr(search_vs_single, "timed", lambda command, log: (commands.append(command) or 1.0, ""))
    monkeypatch.setattr(search_vs_single, "measure",
                        lambda path, dataset, data_dir, device: {"fid": 1.0, "evaluator": "e"})
    args = search_vs_single.build_parser().parse_args(
        ["--model", "cdcgan", "--time-budget", "1m", "--data-dir", "unused", "--out", str(tmp_path / "out"),
         "--single", single])
    result = search_vs_single.compare(args, log=lambda text: None)
    train = commands[1]
    sets = dict(flag.split("=", 1) for flag in train[train.index("--out"):] if "=" in flag)
    space = load_space("cdcgan")
    expected = {} if single == "defaults" else {**space.fixed, **space.start_with[0]}
    assert sets == {key: str(value) for key, value in expected.items()}
    assert result["single"]["recipe"] == single and result["single"]["config"] == expected
    table = search_vs_single.format_table({**result, **provenance()})
    assert ("the space's start_with recipe" if single == "start" else "every default") in table
    assert "| fid of the single run's best_generator (- kimg) | | 1 | 1.00 |" in table


@pytest.mark.parametrize("search_export", [None, "c.safetensors"])
def test_search_vs_single_search_arm_is_the_users_command_when_asked(tmp_path, monkeypatch, search_export):
    """With --search-export the search arm is exactly the command a user (or an issue's check) types."""
    from bench import search_vs_single

    commands = []
    monkeypatch.setattr(search_vs_single, "timed", lambda command, log: (commands.append(command) or 1.0, ""))
    monkeypatch.setattr(search_vs_single, "measure",
                        lambda path, dataset, data_dir, device: {"fid": 1.0, "evaluator": "e", "path": str(path)})
    out = tmp_path / "out"
    args = search_vs_single.build_parser().parse_args(
        ["--model", "cdcgan", "--time-budget", "15m", "--data-dir", "../shared/data/mnist", "--out", str(out),
         *(["--search-export", search_export] if search_export else [])])
    result = search_vs_single.compare(args, log=lambda text: None)
    if search_export:
        assert result["search"]["command"] == ("python -m raygan.search --space cdcgan --time-budget 15m "
                                               "--data-dir ../shared/data/mnist --export c.safetensors")
        assert result["search"]["path"] == "c.safetensors"
    else:
        assert commands[0][commands[0].index("--storage-path") + 1] == str(out)
        assert result["search"]["path"] == str(out / "search.safetensors")
    assert commands[1][commands[1].index("--time-budget") + 1] == "15m"


def test_search_vs_single_on_fashion_files_trains_and_measures_fashion(tmp_path, monkeypatch, fashion_dir):
    """A space that declares mnist, run on Fashion-MNIST files: both arms train and are measured on Fashion-MNIST."""
    from bench import search_vs_single

    commands, measured = [], []
    monkeypatch.setattr(search_vs_single, "timed", lambda command, log: (commands.append(command) or 1.0, ""))
    monkeypatch.setattr(search_vs_single, "measure",
                        lambda path, dataset, data_dir, device: measured.append(dataset) or {"fid": 1.0})
    args = search_vs_single.build_parser().parse_args(
        ["--model", "cgan", "--time-budget", "1m", "--data-dir", str(fashion_dir), "--out", str(tmp_path / "o")])
    result = search_vs_single.compare(args, log=lambda text: None)
    assert commands[1][commands[1].index("--dataset") + 1] == "fashion_mnist"
    # the search's export, the single run's last generator and its best_generator.safetensors
    assert measured == ["fashion_mnist"] * 3 and result["dataset"] == "fashion_mnist"


def test_search_vs_single_start_without_start_with_is_one_line(tmp_path, capsys):
    from bench import search_vs_single

    space = tmp_path / "plain.yaml"
    space.write_text("model: gan\nparams:\n  lr_g: {dist: loguniform, low: 1.0e-4, high: 1.0e-3}\n")
    with pytest.raises(SystemExit) as exit_info:
        search_vs_single.main(["--space", str(space), "--time-budget", "1m", "--data-dir", "unused",
                               "--out", str(tmp_path / "out"), "--single", "start"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "start_with" in err, err


def test_small_data_benchmark_builds_real_class_folders_and_runs_dcgan_and_the_default(tmp_path, monkeypatch, fashion_dir):
    from PIL import Image

    from bench import small_data

    commands = []
    first = "raygan.search: space small-cdcgan (bundled) (cdcgan on fashion_30, asha), data ...\n"
    monkeypatch.setattr(small_data, "timed", lambda command, log: (commands.append(command) or 1.0, first))
    monkeypatch.setattr(small_data, "prepare", lambda source: commands.append(source.root.name))
    monkeypatch.setattr(small_data, "measure_export", lambda path, folder, idx, colour: {"fid": 1.0, "path": path})
    args = small_data.build_parser().parse_args(["--data-dir", str(fashion_dir), "--sizes", "20,30", "--time-budget",
                                                 "15m", "--out", str(tmp_path / "o"), "--colour"])
    result = small_data.compare(args, log=lambda text: None)
    folder = tmp_path / "o" / "fashion-30-colour"
    files = sorted(folder.glob("*/*.png"))
    assert len(files) == 30 and len({f.parent.name for f in files}) == 10 and (folder / "Ankle boot").is_dir()
    assert Image.open(files[0]).size == (32, 32) and Image.open(files[0]).mode == "RGB"
    # each folder's evaluator trained before its first search, so neither arm's budget pays for it
    assert [c for c in commands if isinstance(c, str)] == ["fashion-20-colour", "fashion-30-colour"]
    assert commands[0] == "fashion-20-colour" and commands[3] == "fashion-30-colour"
    commands = [c for c in commands if not isinstance(c, str)]
    spaces = [command[command.index("--space") + 1] if "--space" in command else None for command in commands]
    assert spaces == ["dcgan", None] * 2 and all(c[c.index("--time-budget") + 1] == "15m" for c in commands)
    assert [(r["size"], r["arm"]) for r in result["runs"]] == [(20, "off"), (20, "on"), (30, "off"), (30, "on")]
    assert [r["space"] for r in result["runs"]] == ["dcgan", "small-cdcgan"] * 2  # the default, as its line named it
    assert "| 20 | dcgan |" in small_data.format_table({**result, **provenance()})


@pytest.mark.parametrize("sizes", ["1000,abc", "15", "0"])
def test_small_data_sizes_are_checked_in_one_line(tmp_path, capsys, fashion_dir, sizes):
    from bench import small_data

    with pytest.raises(SystemExit) as exit_info:
        small_data.main(["--data-dir", str(fashion_dir), "--sizes", sizes, "--time-budget", "1m",
                         "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "--sizes must be multiples of 10" in err


def test_gpu_check_without_a_gpu_is_one_line(tmp_path, capsys, mnist_dir):
    from bench import gpu_check

    with pytest.raises(SystemExit) as exit_info:
        gpu_check.main(["--data-dir", str(mnist_dir), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "no CUDA device here" in err


def test_gpu_check_paragraph_names_the_device_and_every_step():
    from bench import gpu_check

    step = {"exit": 0, "seconds": 61.0, "tail": "...\n3 passed, 950 deselected in 60.2s\n"}
    record = {**provenance(), "device": "NVIDIA H200", "steps": {"tests": step, "engine": {**step, "exit": 1},
                                                                  "gpu_share": {**step, "exit": "timeout"},
                                                                  "compile": step},
              "engine": None, "gpu_share": {"counts": [1, 2]}, "compile": {"rows": []}}
    text = gpu_check.paragraph(record)
    assert text.startswith("GPU check on NVIDIA H200 (") and "the cuda tests passed (3 passed, 950 deselected" in text
    assert "bench.engine exit 1 after 61 s;" in text and 'bench.gpu_share exit timeout after 61 s: {"counts"' in text
    assert 'bench.compile_step exit 0 after 61 s: {"rows"' in text


def test_checkpoint_choice_plays_each_rule_on_real_generators(tmp_path, mnist_dir, monkeypatch, capsys):
    import bench.checkpoint_choice as choice

    monkeypatch.setattr(choice, "FINAL_NUM", 600)
    monkeypatch.setattr(choice, "QUICK_NUM", 200)
    choice.main(["--data-dir", str(mnist_dir), "--kimg", "1.28", "--from-kimg", "0.256", "--report-kimg", "0.256",
                 "--repeats", "3", "--json", str(tmp_path / "c.jsonl")])
    record = read_jsonl(tmp_path / "c.jsonl")[0]
    assert record["dataset"] == "mnist" and record["final_num"] == 600 and record["quick_num"] == 200
    (run,) = record["runs"]
    assert run["kimg"] == pytest.approx([0.256, 0.512, 0.768, 1.024, 1.28]) and len(run["truth"]) == 5
    assert all(value > 0 for value in run["truth"])
    assert set(run["rules"]) == set(choice.RULES)
    quick = run["rules"]["quick"]
    assert quick["better_than_quick"] == quick["worse_than_quick"] == 0.0  # quick against itself
    for rule in run["rules"].values():
        assert 0 <= rule["truly_best"] <= 1 and 0 <= rule["mean_excess"] <= rule["worst_excess"]
    assert "| remeasure |" in capsys.readouterr().out


def test_checkpoint_choice_rules_on_a_clear_case():
    from bench.checkpoint_choice import play, score

    rng = np.random.default_rng(0)
    reference = (np.zeros(4), np.eye(4))
    good, bad = rng.normal(size=(3000, 4)), rng.normal(0.5, 1.0, size=(3000, 4))
    picks = [play([good, bad, bad, bad, bad], reference, 200, 1000, rng) for _ in range(5)]
    assert all(pick["quick"] == pick["remeasure"] == 0 and pick["last"] == 4 for pick in picks)
    assert all(pick["smoothed"] >= 2 for pick in picks)  # the last report of its three
    rules = score(picks, np.array([1.0, 2.0, 2.0, 2.0, 3.0]))
    assert rules["remeasure"]["truly_best"] == 1.0 and rules["last"]["worse_than_quick"] == 1.0
    assert rules["last"]["mean_excess"] == pytest.approx(2.0)


def test_compile_step_times_both_steps_and_counts_the_compile(mnist_dir, capsys):
    from bench import compile_step

    compile_step.main(["--data-dir", str(mnist_dir), "--models", "gan", "--steps", "5"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (row,) = record["rows"]
    assert row["model"] == "gan" and row["compiled"] is True and row["eager_step_ms"] > 0 < row["compiled_step_ms"]
    assert row["speedup"] == pytest.approx(row["eager_step_ms"] / row["compiled_step_ms"])
    assert len(row["loss_d"]) == 2 and record["device"] == "cpu" and record["commit"]


def test_fid_error_compares_both_estimates_with_the_real_spread(mnist_dir, capsys):
    from bench import fid_error

    fid_error.main(["--data-dir", str(mnist_dir), "--num", "6000", "--estimates", "2"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["sets"] == 10 and len(record["halves"]) == len(record["bootstrap"]) == 2
    assert 0.4 < record["halves_median_share"] < 2.5 and record["fid_sd"] > 0

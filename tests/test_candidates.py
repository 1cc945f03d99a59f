"""The best generator chosen without luck: the best few reports and the last generator re-measured in full."""
import math

import pytest

import raygan
from raygan.candidates import LAST, candidate_file, choose, keep_candidates, top_reports, wanted_candidates
from raygan.generator_file import load_generator
from raygan.metrics.measurer import open_measurer
from raygan.records import read_jsonl

TINY = {"batch_size": 16, "g_hidden": (32, 64), "d_hidden": [64, 32], "ema_kimg": 0}


def _reports(*fids):
    return [{"kimg": 16.0 * (i + 1), "fid": fid} for i, fid in enumerate(fids)]


def test_the_top_reports_are_the_best_finite_values_best_first_the_earlier_of_a_tie():
    history = _reports(30.0, 20.0, math.nan, 20.0, 25.0, None, 40.0)
    assert [r["kimg"] for r in top_reports(history, "fid", "min")] == [32.0, 64.0, 80.0]
    assert [r["kimg"] for r in top_reports(history, "fid", "max", keep=2)] == [112.0, 16.0]
    assert top_reports(_reports(math.inf), "fid", "min") == []


def test_candidate_files_follow_the_top_reports_as_they_change(tmp_path):
    written = []

    def write(path):
        written.append(path.name)
        path.write_bytes(b"generator")

    history = []
    for fid in (50.0, 40.0, 45.0, 30.0, 60.0):
        history.append({"kimg": 16.0 * (len(history) + 1), "fid": fid})
        keep_candidates(tmp_path / "candidates", history, "fid", "min", write)
    assert written == ["kimg_000016000.safetensors", "kimg_000032000.safetensors", "kimg_000048000.safetensors",
                       "kimg_000064000.safetensors"]  # 60 is not among the best three, so never written
    kept = sorted(p.name for p in (tmp_path / "candidates").iterdir())
    assert kept == ["kimg_000032000.safetensors", "kimg_000048000.safetensors", "kimg_000064000.safetensors"]
    assert candidate_file(tmp_path, 0.32).name == "kimg_000000320.safetensors"


def test_the_wanted_candidates_are_the_best_three_and_with_last_the_last_report_too():
    history = _reports(30.0, 20.0, 25.0, 22.0, 40.0)
    assert wanted_candidates(history, "fid", "min") == {"kimg_000032000.safetensors", "kimg_000048000.safetensors",
                                                        "kimg_000064000.safetensors"}
    assert wanted_candidates(history, "fid", "min", last=True) == wanted_candidates(history, "fid", "min") | {
        "kimg_000080000.safetensors"}


def test_choose_measures_only_what_has_no_final_value_and_orders_by_it():
    measured = []

    def measure(row):
        measured.append(row["kimg"])
        return {32.0: 21.0, 48.0: math.nan}[row["kimg"]]

    rows = [{"source": LAST, "kimg": 64.0, "quick": 25.0, "final": 22.0},
            {"source": "candidate", "kimg": 32.0, "quick": 19.0},
            {"source": "candidate", "kimg": 48.0, "quick": 20.0}]
    choice = choose(rows, measure, "fid", "min", 10000)
    assert measured == [32.0, 48.0]
    assert [row["kimg"] for row in choice.rows] == [32.0, 64.0, 48.0]  # a failed measurement ranks last
    assert choice.chosen == {"source": "candidate", "kimg": 32.0, "quick": 19.0, "final": 21.0}
    assert choice.line() == ("best generator: the report at 32 kimg, fid 21 on 10,000 samples (quick 19); "
                             "the others re-measured: 64 kimg 22, 48 kimg nan")
    tie = choose([{**rows[0], "final": 21.0}, {**rows[1], "final": 21.0}], measure, "fid", "min", 10000)
    assert tie.chosen["source"] == LAST  # a tie keeps the longer-trained last generator


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, mnist_dir):
    """A real MLP GAN trained 120 steps on MNIST, measured every 20 on 100 samples and at its end on 1,000."""
    out = tmp_path_factory.mktemp("candidates") / "run"
    run = raygan.train("gan", data_dir=mnist_dir, steps=120, report_every=20, quick_num=100, final_num=1000,
                       out=out, device="cpu", config=TINY, seed=1)
    return run


def test_a_run_keeps_its_best_three_reports_and_exports_the_best_of_them_and_its_last_generator_on_final_num(
        trained_run, mnist_dir):
    run = trained_run
    folder = run.out / "candidates"
    tops = top_reports(run.reports, "fid", "min")
    assert sorted(p.name for p in folder.iterdir()) == sorted(candidate_file(folder, r["kimg"]).name for r in tops)
    choice = read_jsonl(run.out / "final_metrics.jsonl")[-1]["best_choice"]
    assert choice["metric"] == "fid" and choice["num_samples"] == 1000
    rows = {row["kimg"]: row for row in choice["rows"]}
    assert rows[run.kimg] == {"source": LAST, "kimg": run.kimg, "quick": run.reports[-1]["fid"],
                              "final": run.metrics["fid"]}
    assert set(rows) == {run.kimg} | {r["kimg"] for r in tops}
    # every re-measured value is the generator's fid on the final record's 1,000 seeded samples
    measurer = open_measurer("mnist", mnist_dir)
    for kimg, row in rows.items():
        if row["source"] != LAST:
            generator = load_generator(candidate_file(folder, kimg))
            assert row["final"] == measurer.measure_generator(generator, num=1000, metrics=("fid",))["fid"]
            assert row["quick"] == next(r["fid"] for r in run.reports if r["kimg"] == kimg)
    best = min(rows.values(), key=lambda row: row["final"])
    assert choice["rows"][0] == best
    assert load_generator(run.best_generator).metadata["kimg"] == best["kimg"]


def test_re_measuring_picks_the_better_of_two_real_generators_whose_quick_values_disagree_with_their_full_ones(
        trained_run, mnist_dir):
    """The run's last generator and the candidate nearest it in quality, and quick draws (few samples, each its own
    seed, as two reports' samples are) that rank them the wrong way round: the choice goes by the full measurement,
    so it picks the better one."""
    run = trained_run
    measurer = open_measurer("mnist", mnist_dir)

    def fid(generator, num, seed=0):
        return measurer.measure_generator(generator, num=num, seed=seed, metrics=("fid",))["fid"]

    last = load_generator(run.generator)
    candidates = {r["kimg"]: load_generator(candidate_file(run.out / "candidates", r["kimg"]))
                  for r in top_reports(run.reports, "fid", "min") if r["kimg"] != run.kimg}
    full_last = fid(last, 2000)
    full = {kimg: fid(generator, 2000) for kimg, generator in candidates.items()}
    other_kimg = min(full, key=lambda kimg: abs(full[kimg] - full_last))
    other, last_better = candidates[other_kimg], full_last < full[other_kimg]
    seed = next(s for s in range(0, 400, 2) if (fid(last, 20, s) < fid(other, 20, s + 1)) != last_better)
    rows = [{"source": LAST, "kimg": run.kimg, "quick": fid(last, 20, seed), "final": full_last},
            {"source": "candidate", "kimg": other_kimg, "quick": fid(other, 20, seed + 1)}]
    by_quick = min(rows, key=lambda row: row["quick"])
    choice = choose(rows, lambda row: full[row["kimg"]], "fid", "min", 2000)
    assert choice.chosen["kimg"] == rows[0 if last_better else 1]["kimg"] != by_quick["kimg"]

"""``raygan.train(...)`` from Python: a real run's result, its options resolved as the command's, and one-line
errors naming the argument (no ``SystemExit``)."""
import pytest

import raygan
from raygan.errors import RayganError
from raygan.records import read_jsonl
from raygan.train_api import resolve_options

TINY = {"batch_size": 16, "g_hidden": (32, 64), "d_hidden": [64, 32], "ema_kimg": 0}


def test_a_run_from_python_returns_its_final_record_reports_and_generators(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    run = raygan.train("gan", data_dir=mnist_dir, steps=20, report_every=10, quick_num=200, final_num=500,
                       out=out, device="cpu", config=TINY, seed=4)
    *lines, chosen = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["data: mnist, 60,000 training images", "step 10", "step 20"]
    assert chosen.startswith("best generator: the ") and " on 500 samples (quick " in chosen
    assert run.out == out and run.steps == 20 and run.kimg == 0.32 and not run.collapsed and run.collapse_reason == ""
    assert run.config.g_hidden == (32, 64) and run.config.seed == 4 and run.budget.max_kimg == 0.32
    assert run.reports == read_jsonl(out / "metrics.jsonl") and [r["step"] for r in run.reports] == [10, 20]
    assert run.curve("fid") == [(r["kimg"], r["fid"]) for r in run.reports]
    final = raygan.load_generator(run.generator).metadata["metrics"]
    assert run.metrics == final and run.metrics["num_samples"] == 500
    chosen = run.metrics["best_choice"]["rows"][0]  # of the earlier report and the last generator, on 500 samples
    assert raygan.load_generator(run.best_generator).metadata["kimg"] == chosen["kimg"]
    assert run.curves.is_file()
    assert run.to_record() == {"out": str(out), "steps": 20, "kimg": 0.32, "collapsed": False, "collapse_reason": "",
                               **final}
    assert repr(run) == f"TrainResult(gan on mnist: 20 steps, 0.32 kimg, fid {final['fid']:.4g}, out {out})"


@pytest.mark.parametrize("arguments, message, field", [
    ({"time_budget": "soon"}, "time_budget: expected a duration such as 15m", "time_budget"),
    ({"steps": 0}, "steps: must be at least 1, got 0", "steps"),
    ({"steps": 20, "max_kimg": 1}, "steps and max_kimg set the same thing; pass one", "steps"),
    ({"max_kimg": -1}, "max_kimg must be between 0.001 and 1e9 kimg", "max_kimg"),
    ({"model": "vae"}, "unknown model 'vae'", "model"),
    ({"config": {"lr_g": -1}}, "lr_g must be in (0, 10]", "lr_g"),
    ({"resume": True, "out": None}, "resume=True needs out", "out"),
    ({"resume": True, "overwrite": True}, "contradict each other", "overwrite"),
    ({"resume": True, "out": "OUT"}, "holds no raygan run", "out"),
    ({"device": "tpu"}, "unknown device 'tpu'", None),
])
def test_bad_arguments_raise_one_line_naming_the_argument_before_any_work(arguments, message, field, mnist_dir,
                                                                        tmp_path):
    given = {"data_dir": mnist_dir, "out": tmp_path / "o",
             **{key: tmp_path / "o" if value == "OUT" else value for key, value in arguments.items()}}
    with pytest.raises(RayganError) as error:
        raygan.train(**given)
    assert message in str(error.value) and "\n" not in str(error.value) and "--" not in str(error.value)
    assert field is None or field in error.value.fields
    assert not (tmp_path / "o" / "metrics.jsonl").exists()


@pytest.mark.parametrize("arguments, max_kimg", [({}, 1e9), ({"max_kimg": 64}, 64.0), ({"steps": 500}, 32.0)])
def test_a_time_budget_alone_trains_until_the_deadline(arguments, max_kimg, mnist_dir):
    _, _, budget = resolve_options({"data_dir": mnist_dir, "time_budget": 900.0, **arguments}, None)
    assert budget.max_kimg == pytest.approx(max_kimg)
    _, _, untimed = resolve_options({"data_dir": mnist_dir}, None)
    assert untimed.max_kimg == 192.0  # no clock: the default length

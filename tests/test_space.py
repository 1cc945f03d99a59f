"""Search-space files: the shipped ones load; every kind of mistake is one line naming file, key and fix."""
import subprocess
import sys
from pathlib import Path

import pytest

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.recipes import RECIPES
from raygan.space import Param, SearchSettings, load_space, parse_space

SPACES = Path(__file__).resolve().parents[1] / "search_spaces"
GOOD = """
model: gan
params:
  lr_g: {dist: loguniform, low: 1.0e-5, high: 1.0e-3}
"""


def test_pbt_perturbs_only_what_weights_do_not_depend_on_and_stays_in_range(tmp_path):
    path = tmp_path / "pbt.yaml"
    path.write_text("model: gan\nscheduler: pbt\nparams:\n"
                    "  lr_g: {dist: loguniform, low: 1.0e-5, high: 1.0e-3}\n"
                    "  ema_kimg: {dist: uniform, low: 10, high: 100}\n"
                    "  d_steps: {dist: choice, values: [1, 2, 3]}\n"
                    "  latent_dim: {dist: int, low: 16, high: 64}\n")
    space = load_space(path)
    mutations = space.mutations()
    assert set(mutations) == {"lr_g", "ema_kimg", "d_steps"}  # latent_dim shapes the weights: inherited, not perturbed
    assert mutations["d_steps"] == [1, 2, 3]  # a list: PBT moves a choice to a neighbour instead of scaling it
    clipped = space.clip({"lr_g": 1.2e-3, "ema_kimg": 100 * 1.2, "d_steps": 3, "latent_dim": 40})
    assert clipped == {"lr_g": 1.0e-3, "ema_kimg": 100, "d_steps": 3, "latent_dim": 40}


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan", "cdcgan", "small", "small-cdcgan"])
def test_shipped_spaces_start_at_their_models_defaults_and_search_around_them(name):
    space = load_space(SPACES / f"{name}.yaml")
    recipe = RECIPES[space.model]
    # a space may fix a recipe key only where two datasets say one value always wins; none has yet (on
    # Fashion-MNIST the DCGAN recipe's loss and spectral norm drew level with the alternatives: bench/RESULTS.md)
    assert not set(space.fixed) & set(recipe)
    first = GANConfig.from_dict({**space.base_config(), **space.start_with[0]})  # Optuna's first trial
    default = GANConfig.from_dict({"model": space.model, "dataset": space.dataset})  # train with no --set
    for key in recipe:
        assert getattr(first, key) == getattr(default, key), key
    assert set(recipe) <= set(space.params)  # around them: every recipe key is searched


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan", "cdcgan"])
def test_shipped_spaces_load_and_tune_the_required_parameters(name):
    space = load_space(SPACES / f"{name}.yaml")
    assert space.model == name and space.metric == "fid" and space.mode == "min"
    assert {"lr_g", "lr_d", "beta1", "latent_dim", "batch_size"} <= set(space.params)
    if name == "cgan":  # measured by bench.conditioning from the gan search's best recipe
        assert space.params["g_cond"].values == ("cbn", "input")
        assert space.params["d_cond"].values == ("projection", "ac", "input")
        assert space.start_with[0]["d_cond"] == "projection"
    if name == "cdcgan":  # measured by bench.conditioning: each net's own method, from the dcgan recipe
        assert space.params["g_cond"].values == ("input", "cbn")
        assert space.params["d_cond"].values == ("input", "projection")
        assert space.start_with[0]["loss"] == "hinge" and space.start_with[0]["g_cond"] == "input"
    tune_space = space.tune_space()
    assert set(tune_space) == set(space.params)  # fixed values reach trials through the base config, not Tune
    for name, param in space.params.items():
        domain = tune_space[name]
        if param.dist == "choice":
            assert list(domain.categories) == list(param.values)
        else:  # Tune's integer ranges exclude their upper end; ours include it
            assert (domain.lower, domain.upper) == (param.low, param.high + (1 if param.dist == "int" else 0))
            sampler = domain.get_sampler()
            sampler = getattr(sampler, "sampler", sampler)  # quniform wraps its sampler
            assert ("LogUniform" in type(sampler).__name__) == (param.dist == "loguniform" or param.log)


def test_start_with_points_are_checked_and_optuna_tries_them_first(tmp_path):
    from raygan.tuning.options import SearchOptions
    from raygan.tuning.tuner import _searcher

    path = tmp_path / "seeded.yaml"
    path.write_text(GOOD + "  batch_size: {dist: choice, values: [64, 128]}\n"
                    "  latent_dim: {dist: int, low: 16, high: 64}\n"
                    "start_with:\n  - {lr_g: 5e-4, batch_size: 128, latent_dim: 32.0}\n")
    space = load_space(path)
    assert space.start_with == ({"lr_g": 5e-4, "batch_size": 128, "latent_dim": 32},)
    assert type(space.start_with[0]["latent_dim"]) is int  # an int parameter's value stays an int
    assert load_space(path).to_dict()["start_with"] == [dict(space.start_with[0])]
    searcher = _searcher(space, SearchOptions(name="seeded"), concurrent=1, num_samples=4, deadline=None)
    searcher.set_search_properties("fid_best", "min", space.tune_space())
    assert searcher.suggest("first") == {"lr_g": 5e-4, "batch_size": 128, "latent_dim": 32}
    second = searcher.searcher.suggest("second")  # the point is used once; then TPE samples in range
    assert 1e-5 <= second["lr_g"] <= 1e-3 and second["batch_size"] in (64, 128)


def test_yaml_1_1_exponent_strings_are_numbers(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("params:\n  lr_g: {dist: loguniform, low: 1e-5, high: 1e-3}\n")  # PyYAML reads 1e-5 as str
    assert load_space(path).params["lr_g"].low == 1e-5


SEARCH = "budget: {max_kimg: 100}\nsearch: {grace_kimg: 20, reduction_factor: 2, final_kimg: 400, final_share: 0.6}\n"
OLD_PLACE = "budget: {max_kimg: 100, grace_kimg: 20, reduction_factor: 2, final_kimg: 400, final_share: 0.6}\n"


def test_the_search_settings_have_their_own_section_which_to_dict_writes(tmp_path, caplog):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + SEARCH)
    space = load_space(path)
    written = space.to_dict()
    assert parse_space(written, "search.json").to_dict() == written  # as search.json and export headers hold it
    assert not caplog.records  # the current form warns nothing
    assert space.search == SearchSettings(grace_kimg=20, reduction_factor=2, final_kimg=400, final_share=0.6)
    assert space.budget.max_kimg == 100
    assert written["search"] == {"grace_kimg": 20, "reduction_factor": 2, "final_kimg": 400, "final_share": 0.6}
    assert "grace_kimg" not in written["budget"]


def test_search_settings_under_budget_still_load_with_one_warning_saying_where_they_go(tmp_path, caplog):
    path = tmp_path / "old.yaml"
    path.write_text(GOOD + OLD_PLACE)
    space = load_space(path)
    assert len(caplog.records) == 1 and caplog.records[0].levelname == "WARNING"
    message = caplog.records[0].getMessage()
    assert "\n" not in message and str(path) in message
    assert "grace_kimg, reduction_factor, final_kimg, final_share" in message and "search: section" in message
    assert space.search == SearchSettings(grace_kimg=20, reduction_factor=2, final_kimg=400, final_share=0.6)
    assert "search" in space.to_dict() and "grace_kimg" not in space.to_dict()["budget"]  # written in the new form


@pytest.mark.slow
def test_a_search_command_shows_the_old_place_warning_once(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(GOOD + OLD_PLACE)
    done = subprocess.run([sys.executable, "-m", "raygan.search", "--space", str(path), "--data-dir",
                           str(tmp_path / "missing")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2  # the missing data ends it, after the space was read
    warned = [line for line in done.stderr.splitlines() if "move grace_kimg" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: "), done.stderr


CONDITIONAL = GOOD.replace("model: gan", "model: cgan")


def test_constraints_load_round_trip_and_rank_by_their_own_key(tmp_path):
    from raygan.constraints import Constraint
    from raygan.tuning.search_record import read_search_record, write_search_record

    path = tmp_path / "constrained.yaml"
    path.write_text(CONDITIONAL + "constraints:\n  label_acc: \">= 0.95\"\n  fid: <=40\n")
    space = load_space(path)
    assert space.constraints == (Constraint("label_acc", ">=", 0.95), Constraint("fid", "<=", 40.0))
    assert space.ranked == "fid_ranked" and load_space(SPACES / "cgan.yaml").ranked == "fid"
    written = space.to_dict()
    assert written["constraints"] == {"label_acc": ">= 0.95", "fid": "<= 40.0"}
    assert parse_space(written, "search.json").constraints == space.constraints  # export headers hold this form
    write_search_record(tmp_path / "run", "python -m raygan.search", space)  # search.json, which report.html reads
    assert read_search_record(tmp_path / "run")[1].constraints == space.constraints
    assert "constraints" not in load_space(SPACES / "cgan.yaml").to_dict()  # a space without them: as before


def test_a_constraint_on_a_class_metric_is_refused_for_images_without_classes(tmp_path):
    from types import SimpleNamespace

    from raygan.tuning.driver import check_metric_fits

    path = tmp_path / "flat.yaml"
    path.write_text(GOOD + "constraints:\n  classes_covered: \">= 8\"\n")
    space = load_space(path)
    check_metric_fits(space, SimpleNamespace(labelled=True, name="mnist"))
    with pytest.raises(RayganError) as err:
        check_metric_fits(space, SimpleNamespace(labelled=False, name="clothes"))
    assert str(err.value) == (f"{path}: constraints.classes_covered: classes_covered needs classes, which dataset "
                              "'clothes' has not; drop the constraint or constrain one of fid, diversity")


def test_every_metric_a_constraint_may_name_has_its_limits_and_fid_se_is_not_one():
    from raygan.metrics import quick_metrics, searchable_metrics
    from raygan.metrics.registry import LIMITS

    assert set(LIMITS) == set(searchable_metrics(True)) == set(quick_metrics(True)) - {"fid_se"}
    with pytest.raises(RayganError, match="metric 'fid_se' is not a per-report metric a search can rank by"):
        parse_space({"metric": "fid_se"}, "space.yaml")


def test_each_param_has_its_optuna_distribution():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    assert Param("loguniform", 1e-5, 1e-3).to_optuna() == FloatDistribution(1e-5, 1e-3, log=True)
    assert Param("uniform", 0.0, 0.9).to_optuna() == FloatDistribution(0.0, 0.9)
    assert Param("quniform", 0.0, 0.5, q=0.1).to_optuna() == FloatDistribution(0.0, 0.5)
    assert Param("int", 16.0, 64.0, log=True).to_optuna() == IntDistribution(16, 64, log=True)
    assert Param("choice", values=(32, 64)).to_optuna() == CategoricalDistribution([32, 64])


@pytest.mark.parametrize("text, words", [
    ("model: gan\nparams: {lr_g: {dist: loguniform, low: 1.0e-5, high: [1\n", ["malformed YAML", "line"]),
    ("- just\n- a list\n", ["expected a mapping"]),
    (GOOD + "epochs: 3\n", ["unknown key 'epochs'", "valid keys"]),
    (GOOD + "  learning_rate: {dist: uniform, low: 0.1, high: 0.2}\n", ["params.learning_rate", "unknown key"]),
    (GOOD + "  beta1: {dist: uniform, low: zero, high: 0.9}\n", ["params.beta1.low", "number"]),
    (GOOD + "  batch_size: {dist: choice, values: []}\n", ["params.batch_size", "non-empty"]),
    (GOOD + "  beta1: {dist: uniform, low: 0.9, high: 0.1}\n", ["params.beta1", "below high"]),
    (GOOD + "  lr_d: {dist: loguniform, low: 0.0, high: 1.0e-3}\n", ["params.lr_d", "low > 0"]),
    (GOOD + "  latent_dim: {dist: int, low: 0, high: 64}\n", ["params.latent_dim", "latent_dim"]),
    (GOOD + "  latent_dim: {dist: int, low: 16, high: 4096}\n", ["params.latent_dim", "512"]),
    (GOOD + "  cond: {dist: choice, values: [input, output]}\n", ["params.cond", "output"]),
    (GOOD + "  beta1: {dist: normal, low: 0.1, high: 0.2}\n", ["unknown dist 'normal'"]),
    (GOOD + "  beta1: 0.5\n", ["params.beta1", "dist"]),
    (GOOD + "budget: {max_kimg: ten}\n", ["budget: max_kimg", "a number"]),
    (GOOD + "budget: {max_steps: 3000}\n", ["budget", "unknown key 'max_steps'", "max_kimg"]),
    (GOOD + "budget: {max_kimg: 100, report_kimg: 500}\n", ["report_kimg", "max_kimg"]),
    (GOOD + "budget: {max_kimg: 100}\nsearch: {grace_kimg: 200}\n", ["search: grace_kimg", "max_kimg"]),
    (GOOD + "budget: {max_kimg: 100}\nsearch: {final_kimg: 50}\n", ["search: final_kimg", "above max_kimg"]),
    (GOOD + "search: {final_share: 1.5}\n", ["search: final_share", "between 0 and 0.9"]),
    (GOOD + "search: {reduction_factor: 2.5}\n", ["search: reduction_factor", "whole number"]),
    (GOOD + "search: {grace_kimg: 0}\n", ["search: grace_kimg", "above 0"]),
    (GOOD + "search: {max_kimg: 100}\n", ["search: unknown key 'max_kimg'", "grace_kimg"]),
    (GOOD + "search: 64\n", ["search must be a mapping"]),
    (GOOD + "budget: {grace_kimg: 32}\nsearch: {grace_kimg: 16}\n", ["grace_kimg", "both budget: and search:"]),
    (GOOD + "budget: {quick_num: 0}\n", ["budget: quick_num", "at least 100"]),
    (GOOD + "scheduler: hyperband\n", ["unknown scheduler 'hyperband'", "asha, pbt, pb2"]),
    ("model: gan\nscheduler: pbt\nparams:\n  latent_dim: {dist: int, low: 16, high: 64}\n",
     ["scheduler pbt", "lr_g"]),
    ("scheduler: pb2\n" + GOOD + "  d_steps: {dist: choice, values: [1, 2]}\n", ["params.d_steps", "pb2", "pbt"]),
    (GOOD + "  loss: {dist: choice, values: [ns, wgan]}\n", ["params.loss", "wgan"]),
    (GOOD + "  d_norm: {dist: choice, values: [none, batch]}\n", ["params.d_norm", "batch"]),
    (GOOD + "  loss: {dist: choice, values: [ns, hinge]}\n  label_smoothing: {dist: uniform, low: 0.0, high: 0.2}\n",
     ["label_smoothing applies to loss ns only", "hinge"]),
    (CONDITIONAL + "  d_cond: {dist: choice, values: [input, projection]}\n"
     "  label_embedding: {dist: choice, values: [0, 16]}\n  g_cond: {dist: choice, values: [input, cbn]}\n",
     ["params may draw g_cond cbn, d_cond projection, label_embedding 16 together", "neither net concatenates",
      "search fewer of them"]),
    (CONDITIONAL + "fixed: {ac_weight: 0.5}\n", ["ac_weight", "d_cond 'projection'", "set d_cond=ac"]),
    (GOOD + "collapse: {patience: 0}\n", ["collapse", "patience"]),
    (GOOD + "fixed: {lr_g: 1.0e-4}\n", ["params.lr_g", "also fixed"]),
    (GOOD + "fixed: {g_hiden: [64]}\n", ["fixed", "unknown key 'g_hiden'"]),
    (GOOD + "metric: kid\n", ["metric 'kid'", "fid"]),
    (GOOD + "mode: lowest\n", ["mode", "min or max"]),
    ("model: gan\nparams: {}\n", ["params is empty"]),
    (GOOD + "start_with: {lr_g: 1.0e-4}\n", ["start_with", "non-empty list"]),
    (GOOD + "start_with: [{lr_d: 1.0e-4}]\n", ["start_with[0]", "unknown key 'lr_d'", "lr_g"]),
    (GOOD + "start_with: [{lr_g: 1.0e-2}]\n", ["start_with[0].lr_g", "outside params.lr_g", "widen"]),
    (GOOD + "  batch_size: {dist: choice, values: [64, 128]}\nstart_with: [{batch_size: 32}]\n",
     ["start_with[0].batch_size", "32", "[64, 128]"]),
    (GOOD + "scheduler: pbt\nstart_with: [{lr_g: 1.0e-4}]\n", ["start_with", "scheduler pbt", "asha"]),
    (GOOD + "  latent_dim: {dist: int, low: 16, high: 64}\nstart_with: [{latent_dim: 20.5}]\n",
     ["start_with[0].latent_dim", "whole number"]),
    ("model: vae\n" + GOOD.split("\n", 2)[2], ["unknown model 'vae'"]),
    (GOOD + "constraints:\n  label_acc: \">= 0.95\"\n",
     ["constraints.label_acc", "conditional models only (cgan, cdcgan)", "not gan", "drop the constraint"]),
    (CONDITIONAL + "constraints:\n  label_acc: \"> 0.95\"\n",
     ["constraints.label_acc", "'> 0.95' is not a bound", "'>= NUMBER' or '<= NUMBER'"]),
    (CONDITIONAL + "constraints:\n  label_acc: 0.95\n", ["constraints.label_acc", "0.95 is not a bound"]),
    (CONDITIONAL + "constraints:\n  label_acc: \">= 1.01\"\n",
     ["constraints.label_acc", "'>= 1.01' can never be met", "at most 1", "lower the bound"]),
    (CONDITIONAL + "constraints:\n  fid: \"<= -1\"\n", ["constraints.fid", "never be met", "raise the bound"]),
    (CONDITIONAL + "constraints:\n  kid: \"<= 0.1\"\n",
     ["constraints.kid", "not reported every report", "fid, classes_covered, class_kl, diversity, label_acc"]),
    ("scheduler: pb2\n" + CONDITIONAL + "constraints:\n  fid: \"<= 100\"\n",
     ["constraints: pb2", "scheduler: pbt or asha"]),
    (CONDITIONAL + "constraints: [label_acc]\n", ["constraints must be a mapping", 'label_acc: ">= 0.95"']),
    (CONDITIONAL + "constraints:\n  label_acc: >= 0.95\n",
     ["malformed YAML at line 6", "quote a constraint's bound", 'label_acc: ">= 0.95"']),
])
def test_bad_spaces_are_rejected(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RayganError) as err:
        load_space(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message

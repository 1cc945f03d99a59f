"""JSON Lines records stay valid JSON when a value is NaN or infinite."""
import math

from raygan.records import append_jsonl, read_jsonl


def test_append_and_read_back_with_non_finite_values(tmp_path):
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"step": 1, "loss_d": math.nan, "loss_g": math.inf, "fid": 3.5})
    append_jsonl(path, {"step": 2, "loss_d": 0.7})
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()
    assert read_jsonl(path) == [{"step": 1, "loss_d": None, "loss_g": None, "fid": 3.5}, {"step": 2, "loss_d": 0.7}]


def test_one_definition_of_finite_serves_files_and_tune():
    from raygan.records import BIG, finite_or_big, is_finite_number

    assert [is_finite_number(v) for v in (1, 2.5, math.nan, math.inf, None, True, "3")] == \
        [True, True, False, False, False, False, False]
    out = finite_or_big({"loss_d": math.nan, "loss_g": math.inf, "x": -math.inf, "fid": 3.0, "collapsed": True})
    assert out == {"loss_d": BIG, "loss_g": BIG, "x": -BIG, "fid": 3.0, "collapsed": True}

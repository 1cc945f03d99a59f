"""Sample-quality metrics, computed with raygan's own evaluator network.

``evaluate(samples, dataset, data_dir)`` embeds the samples with the dataset's shipped
evaluator (:mod:`~raygan.metrics.evaluator`) and computes the requested metrics from the
registry (:mod:`~raygan.metrics.registry`, one file per metric behind it) against the
test split's cached features (:mod:`~raygan.metrics.references`); the result is a metric
record that names its sample count and evaluator (:mod:`~raygan.metrics.measure`).
Non-finite pixels are sanitised first, so every metric is always finite.
"""
from raygan.metrics.measure import RECORD_KEYS, check_metrics, evaluate, evaluate_final, evaluate_generator
from raygan.metrics.references import Reference, reference
from raygan.metrics.registry import METRICS, QUICK_METRICS, Samples, describe_metrics, quick_metrics

__all__ = ["METRICS", "QUICK_METRICS", "RECORD_KEYS", "Reference", "Samples", "check_metrics", "describe_metrics",
           "evaluate", "evaluate_final", "evaluate_generator", "quick_metrics", "reference"]

"""Sample-quality metrics, computed with raygan's own evaluator network.

A :class:`Measurer` (:mod:`~raygan.metrics.measurer`) holds one run's evaluator
(:mod:`~raygan.metrics.evaluator`) and the test split's reference features
(:mod:`~raygan.metrics.references`) and computes the requested metrics from the registry
(:mod:`~raygan.metrics.registry`, one file per metric behind it); the result is a metric
record that names its sample count and evaluator.  ``evaluate(samples, dataset, data_dir)``
is the one-call form for scripts.  Non-finite pixels are sanitised first, so every metric is
always finite.
"""
from raygan.metrics.evaluator import Evaluator
from raygan.metrics.measurer import RECORD_KEYS, Measurer, check_metrics, evaluate, evaluate_generator, open_measurer
from raygan.metrics.references import Reference
from raygan.metrics.registry import (METRICS, QUICK_METRICS, Samples, describe_metrics, quick_metrics,
                                     searchable_metrics)

__all__ = ["METRICS", "QUICK_METRICS", "RECORD_KEYS", "Evaluator", "Measurer", "Reference", "Samples",
           "check_metrics", "describe_metrics", "evaluate", "evaluate_generator", "open_measurer", "quick_metrics",
           "searchable_metrics"]

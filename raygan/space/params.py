"""A searched config value: one distribution (``params:`` of a space file) and its forms for Tune and Optuna."""
from __future__ import annotations

from dataclasses import dataclass

from raygan.errors import RayganError
from raygan.schema import check_keys, coerce

DISTRIBUTIONS = {  # name -> the keys it takes besides "dist"
    "loguniform": ("low", "high"),
    "uniform": ("low", "high"),
    "quniform": ("low", "high", "q"),
    "int": ("low", "high", "log"),
    "choice": ("values",),
}


@dataclass(frozen=True)
class Param:
    dist: str
    low: float | None = None
    high: float | None = None
    q: float | None = None
    log: bool = False
    values: tuple = ()

    def to_tune(self):
        """Ray Tune's search-space domain."""
        from ray import tune

        if self.dist == "loguniform":
            return tune.loguniform(self.low, self.high)
        if self.dist == "uniform":
            return tune.uniform(self.low, self.high)
        if self.dist == "quniform":
            return tune.quniform(self.low, self.high, self.q)
        if self.dist == "int":  # Tune's upper bound is exclusive; ours is inclusive
            return (tune.lograndint if self.log else tune.randint)(int(self.low), int(self.high) + 1)
        return tune.choice(list(self.values))

    def to_optuna(self):
        """Optuna's distribution (to hand Optuna trials it did not sample, e.g. for parameter importances)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.dist == "choice":
            return CategoricalDistribution(list(self.values))
        if self.dist == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(self.low, self.high, log=self.dist == "loguniform")

    def to_dict(self) -> dict:
        """The form a space file gives it: ``dist`` and the keys that distribution takes."""
        return {"dist": self.dist, **{key: list(getattr(self, key)) if key == "values" else getattr(self, key)
                                      for key in DISTRIBUTIONS[self.dist]}}

    def admit(self, value, where: str, name: str):
        """``value`` as this distribution would produce it (an int for ``int``); a one-line error if it cannot."""
        if self.dist == "choice":
            if value not in self.values:
                raise RayganError(f"{where}: {value!r} is not one of {list(self.values)}")
            return value
        number = coerce(value, float, where)
        if not self.low <= number <= self.high:
            raise RayganError(f"{where}: {value!r} is outside params.{name} ({self.low} to {self.high}); "
                              "widen the range or change the value")
        if self.dist == "int" and not number.is_integer():
            raise RayganError(f"{where}: {value!r} is not a whole number, as params.{name} (int) needs")
        return int(number) if self.dist == "int" else number

    def extremes(self) -> list:
        """The values that bound what this distribution can produce."""
        return list(self.values) if self.dist == "choice" else [self.low, self.high]


def parse_param(spec, where: str) -> Param:
    """One entry of ``params:``, checked: the keys its ``dist`` takes, numbers, and ``low`` below ``high``."""
    if not isinstance(spec, dict) or "dist" not in spec:
        raise RayganError(f"{where}: expected a mapping with 'dist' (one of {', '.join(DISTRIBUTIONS)}), "
                          f"e.g. {{dist: loguniform, low: 1.0e-5, high: 1.0e-3}}")
    dist = spec["dist"]
    if dist not in DISTRIBUTIONS:
        raise RayganError(f"{where}: unknown dist '{dist}'; choose one of {', '.join(DISTRIBUTIONS)}")
    check_keys({k: v for k, v in spec.items() if k != "dist"}, DISTRIBUTIONS[dist], where)
    if dist == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise RayganError(f"{where}: choice needs a non-empty list 'values', e.g. values: [32, 64, 128]")
        return Param(dist, values=tuple(tuple(v) if isinstance(v, list) else v for v in values))
    for key in ("low", "high") + (("q",) if dist == "quniform" else ()):
        if key not in spec:
            raise RayganError(f"{where}: {dist} needs '{key}'")
    low, high = coerce(spec["low"], float, f"{where}.low"), coerce(spec["high"], float, f"{where}.high")
    if low >= high:
        raise RayganError(f"{where}: low ({low}) must be below high ({high}); swap or widen them")
    log = coerce(spec.get("log", False), bool, f"{where}.log")
    if (dist == "loguniform" or log) and low <= 0:
        raise RayganError(f"{where}: a log-scale range needs low > 0, got {low}; use e.g. low: 1.0e-5")
    q = coerce(spec["q"], float, f"{where}.q") if dist == "quniform" else None
    if q is not None and (q <= 0 or q > high - low):
        raise RayganError(f"{where}: q must be in (0, high - low], got {q}")
    if dist == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise RayganError(f"{where}: int needs whole-number low and high, got {low} and {high}")
    return Param(dist, low=low, high=high, q=q, log=log)

"""inference: the array-level hot path gives exactly what each pipeline's own predict gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Lasso
from sklearn.preprocessing import RobustScaler

from houseprices import inference
from houseprices.models import FAMILIES, make_model
from tests.unit.test_models import SMALL


@pytest.fixture(scope="module")
def sample(train_raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rows = train_raw.sample(400, random_state=1)
    X, y = rows.drop(columns=["SalePrice"]), np.log1p(rows["SalePrice"].to_numpy(float))
    return X.iloc[:300], y[:300], X.iloc[300:]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_hot_path_equals_the_pipeline_for_every_family(name: str, sample) -> None:
    X, y, new = sample
    pipe = make_model(name, {"model": SMALL.get(name, {})}, seed=0).fit(X, y)
    prefix, estimator = pipe[:-1], pipe[-1]
    for rows in (new, new.head(1)):
        features = inference.transform(prefix, rows)
        np.testing.assert_array_equal(features, prefix.transform(rows))
        fast = inference.predict_fn(estimator)(features)
        np.testing.assert_array_equal(fast, pipe.predict(rows))


def test_robust_scaler_options_are_honoured() -> None:
    X = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 10.0, 100.0]
    for centering, scaling in ((True, True), (False, True), (True, False), (False, False)):
        step = RobustScaler(with_centering=centering, with_scaling=scaling).fit(X)
        out = inference.transform_fn(step)(X)
        np.testing.assert_array_equal(out, step.transform(X))
        assert out is not X  # never scales the caller's array in place


def test_unknown_steps_use_their_own_methods() -> None:
    class Doubler:
        def transform(self, X: np.ndarray) -> np.ndarray:
            return 2 * X

    step = Doubler()
    assert inference.transform_fn(step) == step.transform
    multi = Lasso(alpha=0.1).fit(np.eye(4), np.eye(4)[:, :2])  # 2 targets: coef_ is 2-D
    assert inference.predict_fn(multi) == multi.predict


def test_featurizers_with_the_same_imputation_clean_once(
    sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    from houseprices.features import HouseFeaturizer

    X, y, new = sample
    linear = make_model("lasso", {}, seed=0).fit(X, y)[:-1]
    trees = make_model("lightgbm", {"model": SMALL["lightgbm"]}, seed=0).fit(X, y)[:-1]
    other = make_model("gbr", {"model": SMALL["gbr"]}, seed=0).fit(X.iloc[:150], y[:150])[:-1]
    prefixes = {"linear": linear, "trees": trees, "other": other}
    calls: list[str] = []
    clean = HouseFeaturizer.clean

    def counting(self: HouseFeaturizer, data: object) -> object:
        calls.append(self.imputation_key)
        return clean(self, data)

    monkeypatch.setattr(HouseFeaturizer, "clean", counting)
    out = inference.transform_all(prefixes, new)
    assert len(calls) == 2  # linear and trees share one cleaning; `other` learned its own
    for name, prefix in prefixes.items():
        np.testing.assert_array_equal(out[name], prefix.transform(new))


def test_imputation_key_follows_the_fit(sample) -> None:
    from houseprices.features import HouseFeaturizer

    X, y, _ = sample
    step = HouseFeaturizer().fit(X, y)
    first = step.imputation_key
    assert HouseFeaturizer(encoding="ordinal").fit(X, y).imputation_key == first
    assert step.fit(X.iloc[:100], y[:100]).imputation_key != first

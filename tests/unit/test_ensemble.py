from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from houseprices.ensemble import (
    BlendedEnsemble,
    blend_cv,
    nnls_weights,
    oof_matrix,
    prune,
    select,
)
from houseprices.params import parse_params


def test_nnls_weights_recover_a_known_mix() -> None:
    rng = np.random.default_rng(0)
    P = rng.normal(size=(400, 3))
    y = P @ np.array([0.7, 0.3, 0.0])
    w = nnls_weights(P, y)
    np.testing.assert_allclose(w, [0.7, 0.3, 0.0], atol=1e-8)
    assert nnls_weights(-np.abs(P), np.abs(y)).sum() == pytest.approx(1.0)


def _oofs(n: int = 300, repeats: int = 2) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(1)
    y = rng.normal(12, 0.4, size=n)
    frames: dict[str, pd.DataFrame] = {}
    for name, noise in (("good", 0.08), ("other", 0.1), ("bad", 0.3)):
        parts = []
        for r in range(repeats):
            fold = rng.permutation(np.arange(n) % 5)
            parts.append(
                pd.DataFrame(
                    {
                        "Id": np.arange(n),
                        "repeat": r,
                        "fold": fold,
                        "y_true": y,
                        "y_pred": y + rng.normal(0, noise, n),
                    }
                )
            )
        frames[name] = pd.concat(parts, ignore_index=True)
    for name in frames:  # all families share the same folds
        frames[name]["fold"] = frames["good"]["fold"].to_numpy()
    return frames


def test_blend_cv_is_scored_out_of_sample() -> None:
    oofs = _oofs()
    wide = oof_matrix(oofs)
    blended = blend_cv(wide, list(oofs), n_splits=5, seed=0)
    assert len(blended) == len(wide)
    rmse = np.sqrt(np.mean((blended["y_true"] - blended["y_pred"]) ** 2))
    assert rmse < 0.08  # independent errors average out


def test_select_prefers_the_ensemble_only_with_enough_gain() -> None:
    oofs = _oofs()
    chosen = select(oofs, parse_params({}))
    assert chosen.champion == "ensemble"
    assert chosen.weights["good"] > chosen.weights.get("bad", 0)
    strict = select(oofs, parse_params({"ensemble": {"champion": {"min_gain": 1.0}}}))
    assert strict.champion == "good" and strict.weights == {"good": 1.0}
    assert "min_gain" in strict.reason
    assert 0 < strict.interval["half_widths"][0] < 0.3


def test_prune_drops_light_members_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(12, 0.4, size=500)
    wide = pd.DataFrame(
        {
            "y_true": y,
            "main": y + rng.normal(0, 0.05, 500),
            "second": y + rng.normal(0, 0.07, 500),
            "noise": y + rng.normal(0, 0.5, 500),  # nearly useless: tiny weight
        }
    )
    names = ["main", "second", "noise"]
    assert prune(wide, names, 0.0) == names  # 0 keeps everything
    kept = prune(wide, names, 0.05)
    assert kept == ["main", "second"]
    weights = nnls_weights(wide[kept].to_numpy(), y)
    assert (weights >= 0.05).all()
    assert prune(wide, names, 0.99) == ["main"]  # never prunes the last member


def test_select_scores_the_pruned_blend_against_every_candidate() -> None:
    oofs = _oofs()
    chosen = select(oofs, parse_params({"ensemble": {"min_weight": 0.2}}))
    assert "bad" not in chosen.weights
    assert all(w >= 0.2 for w in chosen.weights.values())
    assert set(chosen.scores) == {"good", "other", "bad", "ensemble"}


def test_select_rejects_unknown_candidates() -> None:
    with pytest.raises(KeyError, match=r"ensemble\.candidates"):
        select(_oofs(), parse_params({"ensemble": {"candidates": ["nope"]}}))


def test_blended_ensemble_equals_separately_fitted_members() -> None:
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    a = Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=1.0))])
    b = Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=10.0))])
    ens = BlendedEnsemble([("a", a), ("b", b)], {"a": 3.0, "b": 1.0}).fit(X, y)
    assert len(ens.prefixes_) == 1  # the identical scaler is fitted once
    expected = 0.75 * a.fit(X, y).predict(X) + 0.25 * b.fit(X, y).predict(X)
    np.testing.assert_allclose(ens.predict(X), expected)
    assert ens.weights_ == {"a": 0.75, "b": 0.25}
    assert list(ens.predict_members(X[:3]).columns) == ["a", "b"]


def test_large_batches_predict_members_in_parallel_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(300, 4)), rng.normal(size=300)
    threads: set[int] = set()

    class Recording(Ridge):
        def predict(self, X):  # type: ignore[override]
            threads.add(threading.get_ident())
            return super().predict(X)

    members = [
        (n, Pipeline([("s", StandardScaler()), ("m", Recording(alpha=a))]))
        for n, a in (("a", 1.0), ("b", 10.0), ("c", 100.0))
    ]
    ens = BlendedEnsemble(members, {"a": 1.0, "b": 1.0, "c": 2.0}).fit(X, y)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    sequential = ens.predict(X)
    assert threads == {threading.get_ident()}  # 300 rows < parallel_min_rows
    ens.parallel_min_rows = 100
    parallel = ens.predict(X)
    assert len(threads) > 1  # the members ran in the pool's threads
    np.testing.assert_array_equal(parallel, sequential)


def test_zero_weights_are_dropped_and_all_zero_refused() -> None:
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    pipe = Pipeline([("model", Ridge())])
    ens = BlendedEnsemble([("a", pipe), ("b", pipe)], {"a": 1.0, "b": 0.0}).fit(X, y)
    assert ens.weights_ == {"a": 1.0}
    with pytest.raises(ValueError, match="zero"):
        BlendedEnsemble([("a", pipe)], {"a": 0.0}).fit(X, y)

"""forest: flat numpy forests predict the libraries' numbers to the last bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor

from houseprices import forest
from houseprices.forest import FlatForest, Tree

#: batch sizes checked: every size the flat forest serves (and a few more: its result must not
#: depend on the batch size, whatever `max_rows` is tuned to)
SIZES = range(1, 32)


def make_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous features, an integer-coded one and a target with interactions."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.normal(size=n),
            rng.uniform(-3, 3, size=n),
            rng.lognormal(size=n) * 1000.0,
            rng.integers(0, 5, size=n).astype(float),
            rng.normal(size=n),
        ]
    )
    y = 2.0 * X[:, 0] + np.sin(X[:, 1]) * X[:, 3] + np.log(X[:, 2]) + 0.3 * rng.normal(size=n)
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = make_data(0, 400)
    X_new, _ = make_data(1, 300)
    return X, y, X_new


def gbr_start(est: GradientBoostingRegressor) -> float:
    return float(np.ravel(est.init_.constant_)[0])


def gbr_library(est: GradientBoostingRegressor, X: np.ndarray) -> np.ndarray:
    return est._raw_predict(np.asarray(X, dtype=np.float32)).ravel()


def assert_every_batch_size(flat: FlatForest, library: Any, X: np.ndarray) -> None:
    """Bit-identical for every batch size, batches taken at different offsets of `X`."""
    for n in SIZES:
        start = (n * 37) % (len(X) - n)
        batch = X[start : start + n]
        got, want = flat.predict(batch), library(batch)
        assert got.shape == (n,)
        assert np.array_equal(got, want), f"batch of {n} rows differs"
    assert np.array_equal(flat.predict(X), library(X))


def split_probes(base: np.ndarray, splits: list[tuple[int, float]], dtype: Any) -> np.ndarray:
    """Rows of `base` with one feature set to a split threshold or its nearest neighbours
    (in `dtype`, the precision the library compares in): the `<=` edge of every split."""
    rows = []
    for feature, threshold in splits:
        t = dtype(threshold)
        for value in (
            threshold,
            t,
            np.nextafter(t, dtype(-np.inf)),
            np.nextafter(t, dtype(np.inf)),
        ):
            row = base.copy()
            row[feature] = float(value)
            rows.append(row)
    return np.array(rows)


# ---------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
@pytest.mark.parametrize("max_depth", [2, 3, 5])
def test_gradient_boosting_is_bit_identical(data, loss: str, max_depth: int) -> None:
    X, y, X_new = data
    est = GradientBoostingRegressor(
        loss=loss,
        max_depth=max_depth,
        n_estimators=30,
        learning_rate=0.2,
        min_samples_leaf=30,
        subsample=0.8,
        random_state=0,
    ).fit(X, y)
    flat = forest.from_gradient_boosting(est, gbr_start(est))
    assert flat is not None
    assert_every_batch_size(flat, lambda b: gbr_library(est, b), X_new)
    assert np.array_equal(flat.predict(X_new[:5]), est.predict(X_new[:5]))


def test_gradient_boosting_with_trees_of_different_depths(data) -> None:
    """Later trees stop early (nothing left worth splitting): single leaves and stumps next
    to full-depth trees; the shallow leaves are copied down the complete tree."""
    X, y, X_new = data
    est = GradientBoostingRegressor(
        max_depth=4,
        n_estimators=60,
        learning_rate=0.5,
        min_samples_leaf=40,
        min_impurity_decrease=0.02,
        random_state=0,
    ).fit(X, y)
    depths = {member.tree_.max_depth for member in est.estimators_[:, 0]}
    assert len(depths) >= 3 and 0 in depths and max(depths) == 4
    flat = forest.from_gradient_boosting(est, gbr_start(est))
    assert flat is not None and flat.depth == 4
    assert_every_batch_size(flat, lambda b: gbr_library(est, b), X_new)


def test_gradient_boosting_of_single_leaves(data) -> None:
    X, _, X_new = data
    est = GradientBoostingRegressor(n_estimators=5).fit(X, np.full(len(X), 3.25))
    flat = forest.from_gradient_boosting(est, gbr_start(est))
    assert flat is not None and flat.depth == 0
    assert np.array_equal(flat.predict(X_new[:7]), gbr_library(est, X_new[:7]))
    assert (flat.predict(X_new[:7]) == 3.25).all()


def test_gradient_boosting_on_the_split_thresholds(data) -> None:
    """Values equal to a threshold, or one float32 step either side: sklearn compares the
    input rounded to float32 with a float64 threshold, and so must the flat forest."""
    X, y, X_new = data
    est = GradientBoostingRegressor(max_depth=3, n_estimators=25, random_state=0).fit(X, y)
    splits = [
        (int(f), float(t))
        for member in est.estimators_[:, 0]
        for f, t in zip(member.tree_.feature, member.tree_.threshold, strict=True)
        if f >= 0
    ]
    probes = split_probes(X_new[0], splits, np.float32)
    flat = forest.from_gradient_boosting(est, gbr_start(est))
    assert flat is not None
    for start in range(0, len(probes), 7):
        batch = probes[start : start + 7]
        assert np.array_equal(flat.predict(batch), gbr_library(est, batch))
    # the probes do land on both sides of the splits: the predictions are not all one value
    assert len(np.unique(flat.predict(probes))) > 10


# ---------------------------------------------------------------- hand-made trees


def test_flat_forest_of_hand_made_trees() -> None:
    """A stump and a depth-2 tree: start + scale * (leaf of each tree), NaN goes right."""
    stump = Tree(
        feature=np.array([0, -2, -2]),
        threshold=np.array([0.5, -2.0, -2.0]),
        left=np.array([1, -1, -1]),
        right=np.array([2, -1, -1]),
        value=np.array([0.0, 1.0, 2.0]),
    )
    # root on x1 <= 10; its left child is a leaf, its right child splits x0 <= -1
    deep = Tree(
        feature=np.array([1, -2, 0, -2, -2]),
        threshold=np.array([10.0, -2.0, -1.0, -2.0, -2.0]),
        left=np.array([1, -1, 3, -1, -1]),
        right=np.array([2, -1, 4, -1, -1]),
        value=np.array([0.0, 10.0, 0.0, 20.0, 40.0]),
    )
    flat = FlatForest([stump, deep], start=100.0, scale=0.5, float32_inputs=False)
    assert flat.depth == 2
    X = np.array(
        [
            [0.5, 10.0],  # left, left
            [0.6, 11.0],  # right, right then x0 > -1: right
            [-1.0, 11.0],  # left, right then left
            [np.nan, np.nan],  # NaN fails every `<=`: right, right, right
        ]
    )
    expected = 100.0 + 0.5 * np.array([1.0 + 10.0, 2.0 + 40.0, 1.0 + 20.0, 2.0 + 40.0])
    np.testing.assert_array_equal(flat.predict(X), expected)


# ---------------------------------------------------------------- LightGBM: TableForest


def lgbm(**params: Any) -> Any:
    lightgbm = pytest.importorskip("lightgbm")
    defaults = {"n_estimators": 60, "num_leaves": 4, "random_state": 0, "verbose": -1}
    return lightgbm.LGBMRegressor(**{**defaults, **params})


@pytest.mark.parametrize("num_leaves", [2, 3, 4])
@pytest.mark.parametrize("min_child_samples", [5, 150])
def test_table_forest_equals_lightgbm_at_every_size(
    data, num_leaves: int, min_child_samples: int
) -> None:
    """Trees of one to three splits (large min_child_samples leaves some trees smaller than
    num_leaves allows, and stumps), batches across the chunk size."""
    X, y, X_new = data
    est = lgbm(num_leaves=num_leaves, min_child_samples=min_child_samples).fit(X, y)
    table = forest.from_lightgbm(est.booster_)
    assert table is not None
    X_all = np.vstack([X_new, X])
    for n in (*SIZES, forest.TableForest.CHUNK_ROWS, forest.TableForest.CHUNK_ROWS + 1, 700):
        batch = X_all[:n]
        assert np.array_equal(table.predict(batch), est.booster_.predict(batch)), f"{n} rows"


def test_table_forest_on_split_thresholds(data) -> None:
    """Values exactly on a threshold go left (x <= threshold), as in LightGBM."""
    X, y, _ = data
    est = lgbm().fit(X, y)
    table = forest.from_lightgbm(est.booster_)
    assert table is not None
    rows = np.repeat(X[:1], len(table.split_feature) - 1, axis=0)
    for i, (f, t) in enumerate(zip(table.split_feature[:-1], table.split_threshold[:-1])):
        rows[i, f] = t
    for batch in (rows, np.nextafter(rows, np.inf), np.nextafter(rows, -np.inf)):
        assert np.array_equal(table.predict(batch), est.booster_.predict(batch))


@pytest.mark.parametrize(
    "params",
    [
        {"num_leaves": 5},  # more than three splits per tree
        {"linear_tree": True},
        {"zero_as_missing": True},
    ],
    ids=["five_leaves", "linear_tree", "zero_as_missing"],
)
def test_from_lightgbm_declines_what_it_cannot_copy(data, params: dict[str, Any]) -> None:
    X, y, _ = data
    X = X.copy()
    X[::3, 4] = 0.0
    assert forest.from_lightgbm(lgbm(**params).fit(X, y).booster_) is None


def test_from_lightgbm_declines_categorical_splits() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=400), rng.integers(0, 6, size=400).astype(float)])
    y = np.where(np.isin(X[:, 1], [1, 4]), 3.0, 0.0) + 0.1 * rng.normal(size=400)
    est = lgbm(n_estimators=10, min_data_per_group=5, cat_smooth=1.0, min_child_samples=5)
    est.fit(X, y, categorical_feature=[1])
    kinds = {node.get("decision_type") for node in _lightgbm_nodes(est.booster_.dump_model())}
    assert "==" in kinds  # it did learn a categorical split
    assert forest.from_lightgbm(est.booster_) is None


def _lightgbm_nodes(dump: dict[str, Any]) -> list[dict[str, Any]]:
    todo = [info["tree_structure"] for info in dump["tree_info"]]
    out = []
    while todo:
        node = todo.pop()
        out.append(node)
        todo += [node[k] for k in ("left_child", "right_child") if k in node]
    return out


@pytest.mark.parametrize("n_rows", [1, 2, 3, 7])
def test_tree_sums_are_sequential_whatever_the_number_of_rows(n_rows: int) -> None:
    """The libraries add their trees one at a time; summed pairwise the same numbers give
    other roundings. Values chosen so that the two orders differ."""
    rng = np.random.default_rng(n_rows)
    values = rng.normal(size=(500, n_rows)) * 10.0 ** rng.integers(-8, 8, size=(500, 1))
    start = 12.0
    expected = []
    for col in values.T:
        total = start
        for v in col:
            total += v
        expected.append(total)
    got = forest._sum_trees(values.copy(), start)
    assert got.tolist() == expected
    pairwise = [np.add.reduce(np.concatenate([[start], col])) for col in values.T]
    assert pairwise != expected  # the order matters for these values

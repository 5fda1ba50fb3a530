from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from houseprices import schema
from houseprices.features import (
    ENGINEERED,
    LINEAR_SQUARES,
    NOMINAL,
    HouseFeaturizer,
    prepare,
    remove_outliers,
)
from houseprices.params import FeatureParams
from houseprices.transforms import SkewedPowerTransformer


@parametrize_with_checks(
    [SkewedPowerTransformer(), SkewedPowerTransformer(method="log1p", min_unique=2)]
)
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def test_power_transform_only_touches_skewed_columns() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=500), rng.lognormal(sigma=1.0, size=500)])
    step = SkewedPowerTransformer(method="log1p").fit(X)
    out = step.transform(X)
    assert step.columns_.tolist() == [1]
    np.testing.assert_allclose(out[:, 0], X[:, 0])
    np.testing.assert_allclose(out[:, 1], np.log1p(X[:, 1]))


def test_yeo_johnson_block_matches_scipy_per_column() -> None:
    from scipy.stats import yeojohnson

    from houseprices.transforms import _yeojohnson_block

    rng = np.random.default_rng(2)
    x = rng.normal(scale=20.0, size=(300, 6))
    x[::5] = 0.0
    lambdas = np.array([0.0, 2.0, 0.15, -0.5, 1.5, 0.7])  # both special cases included
    out = _yeojohnson_block(x, lambdas)
    for j, lm in enumerate(lambdas):
        np.testing.assert_allclose(out[:, j], yeojohnson(x[:, j], lmbda=lm), rtol=1e-12)


def test_yeo_johnson_reduces_skew() -> None:
    from scipy.stats import skew

    X = np.random.default_rng(1).lognormal(sigma=1.2, size=(800, 1))
    out = SkewedPowerTransformer().fit_transform(X)
    assert abs(skew(out[:, 0])) < abs(skew(X[:, 0])) / 4


@pytest.fixture(scope="module")
def xy(train_raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return train_raw.drop(columns=["SalePrice"]), np.log1p(train_raw["SalePrice"].to_numpy(float))


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_names_match_output_and_no_missing(xy, test_raw: pd.DataFrame, encoding: str) -> None:
    X, y = xy
    squares = LINEAR_SQUARES if encoding == "onehot" else ()
    step = HouseFeaturizer(encoding=encoding, squares=squares).fit(X, y)
    out = step.transform(test_raw)
    assert out.shape == (len(test_raw), len(step.get_feature_names_out()))
    assert np.isfinite(out).all()


def test_engineered_values(xy) -> None:
    X, y = xy
    step = HouseFeaturizer(encoding="ordinal").fit(X, y)
    names = list(step.get_feature_names_out())
    row = X.iloc[[0]]
    out = dict(zip(names, step.transform(row)[0], strict=True))
    total = row["TotalBsmtSF"].iloc[0] + row["1stFlrSF"].iloc[0] + row["2ndFlrSF"].iloc[0]
    assert out["TotalSF"] == total
    assert out["HouseAge"] == row["YrSold"].iloc[0] - row["YearBuilt"].iloc[0]
    assert out["ExterQual"] == {"Ex": 5, "Gd": 4, "TA": 3, "Fa": 2}[row["ExterQual"].iloc[0]]
    assert set(ENGINEERED) <= set(names) and {f"{c}_code" for c in NOMINAL} <= set(names)


def test_lot_frontage_imputed_by_neighbourhood_median_of_the_fit_data(xy) -> None:
    X, y = xy
    step = HouseFeaturizer(encoding="ordinal").fit(X, y)
    hood = X["Neighborhood"].iloc[0]
    expected = X.loc[X["Neighborhood"] == hood, "LotFrontage"].median()
    assert step.lotfrontage_by_nbhd_[hood] == pytest.approx(expected)
    half = HouseFeaturizer(encoding="ordinal").fit(X.iloc[:600], y[:600])
    assert half.lotfrontage_by_nbhd_ != step.lotfrontage_by_nbhd_


def test_unseen_levels_missing_columns_and_all_missing_rows(xy) -> None:
    X, y = xy
    for encoding in ("onehot", "ordinal"):
        step = HouseFeaturizer(encoding=encoding).fit(X, y)
        odd = X.iloc[[3]].drop(columns=["Fence", "LotFrontage"]).assign(Neighborhood="Atlantis")
        empty = pd.DataFrame({c: [np.nan] for c in schema.FEATURES})
        for frame in (odd, empty):
            out = step.transform(frame)
            assert out.shape == (1, len(step.get_feature_names_out()))
            assert np.isfinite(out).all()


def test_dict_records_equal_dataframe(xy) -> None:
    X, y = xy
    step = HouseFeaturizer(encoding="onehot", squares=LINEAR_SQUARES).fit(X, y)
    rows = X.head(4)
    records = [
        {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")
    ]
    np.testing.assert_allclose(step.transform(records), step.transform(rows))


def test_aliases_share_the_description_spelling(xy) -> None:
    X, y = xy
    step = HouseFeaturizer(encoding="onehot", min_count=1).fit(X, y)
    names = set(step.get_feature_names_out())
    assert "Exterior2nd=CemntBd" in names and "Exterior2nd=CmentBd" not in names
    assert "MSZoning=C" in names and "MSZoning=C (all)" not in names


def test_garage_year_typo_is_not_used(xy, test_raw: pd.DataFrame) -> None:
    X, y = xy
    step = HouseFeaturizer(encoding="ordinal").fit(X, y)
    names = list(step.get_feature_names_out())
    row = test_raw[test_raw["Id"] == 2593]
    garage_year = step.transform(row)[0][names.index("GarageYrBlt")]
    assert garage_year <= row["YrSold"].iloc[0] + 1


def test_remove_outliers_drops_exactly_the_canonical_two(train_raw: pd.DataFrame) -> None:
    kept = remove_outliers(train_raw, 4000, 300000)
    assert sorted(set(train_raw["Id"]) - set(kept["Id"])) == [524, 1299]


def test_prepare_reports_both_encodings(train_raw: pd.DataFrame) -> None:
    kept, report = prepare(train_raw, FeatureParams())
    assert report["rows_out"] == len(kept) == 1458
    assert report["onehot"]["n_features"] > report["ordinal"]["n_features"] > 50


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_long_and_short_inputs_take_different_paths_to_the_same_features(
    xy, test_raw: pd.DataFrame, encoding: str
) -> None:
    """Long columns are factorised, short ones looked up value by value: same numbers."""
    X, y = xy
    step = HouseFeaturizer(encoding=encoding, min_count=5).fit(X, y)
    rows = test_raw.head(200).astype(object)
    rows.loc[rows.index[0], "MSSubClass"] = "60"  # a label given as text
    rows.loc[rows.index[1], "MSSubClass"] = 60.0  # and as a float
    rows.loc[rows.index[2], "MSZoning"] = "C (all)"  # an alias
    rows.loc[rows.index[3], "Neighborhood"] = None
    rows.loc[rows.index[4], "Alley"] = np.nan
    whole = step.transform(rows)
    one_by_one = np.vstack([step.transform(rows.iloc[[i]]) for i in range(len(rows))])
    np.testing.assert_array_equal(whole, one_by_one)
    by_columns = step.transform({c: rows[c].to_numpy() for c in rows.columns})
    np.testing.assert_array_equal(whole, by_columns)


def test_level_cache_stays_bounded_under_garbage(xy) -> None:
    from houseprices import domain

    X, y = xy
    step = HouseFeaturizer(encoding="onehot").fit(X, y)
    garbage = X.head(1).astype(object)
    for i in range(domain.LEVEL_CACHE_MAX + 50):
        garbage["Street"] = f"junk-{i}"
        step.transform(garbage)
    assert len(domain.LEVEL_CACHE["Street"]) <= domain.LEVEL_CACHE_MAX
    # an unseen level still lands in the rare bucket once the cache is full
    out = step.transform(garbage.assign(Street="still-new"))
    assert np.isfinite(out).all()

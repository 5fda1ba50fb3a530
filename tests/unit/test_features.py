from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from houseprices import schema
from houseprices.features import HouseFeatures, SignedLog1p, build_preprocessor, remove_outliers


@parametrize_with_checks([SignedLog1p(), SignedLog1p(threshold=0.0)])
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def test_signed_log1p_only_touches_skewed_columns() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=500), rng.lognormal(sigma=1.5, size=500)])
    out = SignedLog1p(threshold=0.75).fit(X).transform(X)
    assert SignedLog1p(0.75).fit(X).skewed_.tolist() == [False, True]
    np.testing.assert_allclose(out[:, 0], X[:, 0])
    np.testing.assert_allclose(out[:, 1], np.log1p(X[:, 1]))


@pytest.fixture(scope="module")
def fitted(train_raw: pd.DataFrame) -> HouseFeatures:
    return HouseFeatures().fit(train_raw)


def test_feature_names_match_output(fitted: HouseFeatures, test_raw: pd.DataFrame) -> None:
    out = fitted.transform(test_raw)
    assert list(out.columns) == list(fitted.get_feature_names_out())
    assert out.isna().sum().sum() == 0


def test_engineered_values(fitted: HouseFeatures, train_raw: pd.DataFrame) -> None:
    row = train_raw.iloc[[0]]
    out = fitted.transform(row).iloc[0]
    assert (
        out["TotalSF"]
        == row["TotalBsmtSF"].iloc[0] + row["1stFlrSF"].iloc[0] + row["2ndFlrSF"].iloc[0]
    )
    assert out["HouseAge"] == row["YrSold"].iloc[0] - row["YearBuilt"].iloc[0]
    assert out["ExterQual_ord"] == {"Ex": 5, "Gd": 4, "TA": 3, "Fa": 2}[row["ExterQual"].iloc[0]]
    assert out["MSSubClass"] == str(row["MSSubClass"].iloc[0])


def test_absent_features_and_lot_frontage_imputation(
    fitted: HouseFeatures, train_raw: pd.DataFrame
) -> None:
    row = train_raw.iloc[[0]].copy()
    row[["LotFrontage", "PoolQC", "GarageType", "GarageArea"]] = [np.nan, np.nan, np.nan, np.nan]
    out = fitted.transform(row).iloc[0]
    hood = row["Neighborhood"].iloc[0]
    expected = train_raw.loc[train_raw["Neighborhood"] == hood, "LotFrontage"].median()
    assert out["LotFrontage"] == pytest.approx(expected)
    assert out["GarageType"] == "None" and out["GarageArea"] == 0 and out["HasGarage"] == 0


def test_aliases_map_to_description_spelling(
    fitted: HouseFeatures, train_raw: pd.DataFrame
) -> None:
    rows = train_raw[train_raw["Exterior2nd"] == "CmentBd"].head(2)
    out = fitted.transform(rows)
    assert set(out["Exterior2nd"]) == {"CemntBd"}


def test_garage_year_typo_replaced(fitted: HouseFeatures, test_raw: pd.DataFrame) -> None:
    row = test_raw[test_raw["Id"] == 2593]
    out = fitted.transform(row).iloc[0]
    assert out["GarageYrBlt"] == row["YearBuilt"].iloc[0]


def test_missing_columns_and_unseen_levels_at_predict_time(train_raw: pd.DataFrame) -> None:
    pre = build_preprocessor().fit(train_raw)
    row = train_raw.iloc[[5]].drop(columns=["Fence", "LotFrontage", "SalePrice"]).copy()
    row["Neighborhood"] = "Atlantis"
    out = pre.transform(row)
    assert out.shape == (1, len(pre.get_feature_names_out()))
    assert np.isfinite(out).all()


def test_all_missing_row_is_imputed(train_raw: pd.DataFrame) -> None:
    pre = build_preprocessor().fit(train_raw)
    empty = pd.DataFrame({c: [np.nan] for c in schema.FEATURES})
    assert np.isfinite(pre.transform(empty)).all()


def test_learned_state_comes_from_fit_data_only(train_raw: pd.DataFrame) -> None:
    half = train_raw.iloc[:700]
    a = HouseFeatures().fit(half)
    b = HouseFeatures().fit(train_raw)
    assert a.lot_frontage_by_neighborhood_ != b.lot_frontage_by_neighborhood_


def test_remove_outliers_drops_exactly_the_canonical_two(train_raw: pd.DataFrame) -> None:
    kept = remove_outliers(train_raw, 4000, 300000)
    assert sorted(set(train_raw["Id"]) - set(kept["Id"])) == [524, 1299]

"""Behavioural tests of a trained model: directions, invariances, robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from houseprices.ensemble import Selection
from houseprices.features import remove_outliers
from houseprices.model import HousePriceModel
from houseprices.params import load_params
from houseprices.train import fit_champion
from tests.conftest import REPO


@pytest.fixture(scope="module")
def model(train_raw: pd.DataFrame) -> HousePriceModel:
    """The champion as selected in the committed reports/selection.json, fitted on all rows."""
    params = load_params(REPO / "params.yaml")
    frame = remove_outliers(train_raw, 4000, 300000)
    return fit_champion(frame, Selection.load(REPO / "reports" / "selection.json"), params)


@pytest.fixture(scope="module")
def houses(test_raw: pd.DataFrame) -> pd.DataFrame:
    return test_raw.sample(200, random_state=0).reset_index(drop=True)


def test_more_living_area_never_lowers_the_price(
    model: HousePriceModel, houses: pd.DataFrame
) -> None:
    prices = []
    for extra in (0, 100, 250, 500):
        bigger = houses.copy()
        bigger["GrLivArea"] += extra
        bigger["1stFlrSF"] += extra
        prices.append(model.predict(bigger))
    steps = np.diff(np.vstack(prices), axis=0)
    assert (steps >= -1e-6).all()
    assert (steps.sum(axis=0) > 0).mean() > 0.95


def test_better_overall_quality_never_lowers_the_price(
    model: HousePriceModel, houses: pd.DataFrame
) -> None:
    low, high = houses.copy(), houses.copy()
    low["OverallQual"], high["OverallQual"] = 5, 7
    assert (model.predict(high) >= model.predict(low)).all()


def test_id_does_not_matter(model: HousePriceModel, houses: pd.DataFrame) -> None:
    other = houses.assign(Id=houses["Id"] + 100_000)
    np.testing.assert_allclose(model.predict(houses), model.predict(other))


def test_row_and_column_order_do_not_matter(model: HousePriceModel, houses: pd.DataFrame) -> None:
    base = model.predict(houses)
    shuffled = houses.sample(frac=1.0, random_state=1)
    np.testing.assert_allclose(model.predict(shuffled), base[shuffled.index])
    reordered = houses[houses.columns[::-1]]
    np.testing.assert_allclose(model.predict(reordered), base)


def test_single_row_equals_batch(model: HousePriceModel, houses: pd.DataFrame) -> None:
    batch = model.predict(houses.head(5))
    singles = [model.predict(houses.iloc[[i]])[0] for i in range(5)]
    np.testing.assert_allclose(singles, batch, rtol=1e-9)


def test_missing_optional_fields_still_give_a_plausible_price(
    model: HousePriceModel, houses: pd.DataFrame
) -> None:
    sparse = houses.head(20).copy()
    sparse[["LotFrontage", "MasVnrArea", "GarageYrBlt", "Fence", "Alley"]] = np.nan
    prices = model.predict(sparse)
    assert np.isfinite(prices).all() and (prices > 20_000).all() and (prices < 1_500_000).all()


def test_unseen_category_level_is_tolerated(model: HousePriceModel, houses: pd.DataFrame) -> None:
    odd = houses.head(3).assign(RoofMatl="Gold")
    np.testing.assert_allclose(
        model.predict(odd), model.predict(houses.head(3).assign(RoofMatl="Other")), rtol=0.2
    )


def test_interval_contains_prediction(model: HousePriceModel, houses: pd.DataFrame) -> None:
    out = model.predict_frame(houses)
    assert ((out["lower"] < out["SalePrice"]) & (out["SalePrice"] < out["upper"])).all()


def test_prices_have_the_right_scale(model: HousePriceModel, houses: pd.DataFrame) -> None:
    median = float(np.median(model.predict(houses)))
    assert 140_000 < median < 210_000


def test_extreme_values_the_contract_allows_give_finite_prices(
    model: HousePriceModel, houses: pd.DataFrame
) -> None:
    """Every numeric column at its schema bound at once: trees need float32-finite features."""
    from houseprices import schema

    extreme = houses.head(2).copy()
    for name, (lo, hi) in schema.NUMERIC_RANGES.items():
        if name != "MSSubClass":
            extreme.loc[0, name], extreme.loc[1, name] = hi, lo
    out = model.predict_frame(extreme)
    assert np.isfinite(out.to_numpy()).all() and (out["SalePrice"] > 0).all()


def test_large_batches_predicted_in_parallel_equal_small_ones(
    model: HousePriceModel, test_raw: pd.DataFrame
) -> None:
    rows = test_raw.sample(700, replace=True, random_state=1).reset_index(drop=True)
    whole = model.predict(rows)  # >= 512 rows: members in parallel, LightGBM on every core
    parts = np.concatenate([model.predict(rows.iloc[i : i + 100]) for i in range(0, 700, 100)])
    np.testing.assert_allclose(whole, parts, rtol=1e-12)

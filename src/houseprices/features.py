"""Feature engineering for the Kaggle House Prices data as scikit-learn transformers.

Also the pipeline stage `features`: the training set the models learn from (the two
canonical outliers removed) and the list of engineered features.

Design
------
* ``HouseFeaturizer`` is the only step that touches pandas/objects: it turns the raw
  frame (or a 2-D object array / list of dict rows with the raw Kaggle columns) into a
  float64 numpy array. Everything it learns (medians, modes, LotFrontage-by-Neighborhood
  medians, kept category levels, target-ordered codes) is learned in ``fit``.
* ``SkewedPowerTransformer`` picks the skewed columns and their power transform in ``fit``
  and is pure numpy afterwards; ``sklearn.preprocessing.RobustScaler`` follows for
  linear / kernel models.
* Unseen categories and NaNs are handled at predict time (unseen/rare level -> "rare"
  bucket, NaN -> value learned in fit).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import typer
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from houseprices import schema, smallbatch
from houseprices.config import Paths
from houseprices.domain import (
    ENGINEERED,
    LINEAR_SQUARES,
    NOMINAL,
    NUMERIC,
    ORDINAL_MAPS,
    RAW_COLUMNS,
    STRING_COLUMNS,
    ZERO_IF_MISSING,
    as_column,
    clean_strings,
    float_column,
    map_levels,
    missing_column,
)
from houseprices.params import FeatureParams, load_params


class HouseFeaturizer(TransformerMixin, BaseEstimator):
    """Raw Kaggle columns -> float numpy array.

    Parameters
    ----------
    encoding : {"onehot", "ordinal"}
        How nominal columns are emitted: one-hot block (linear / kernel models) or a
        single integer code per column (tree models).
    min_count : int
        Nominal levels seen fewer than ``min_count`` times in fit are grouped into a
        "rare" bucket; unseen levels at predict time fall into the same bucket.
    code_order : {"target", "frequency"}
        For ``encoding="ordinal"``: order codes by mean target of the level in the
        training data (learned in fit; needs y) or by frequency.
    extra_features : bool
        Add the engineered totals / ages / flags / interactions.
    squares : tuple of str
        Numeric / ordinal / engineered columns whose square is appended (linear models).
    """

    def __init__(
        self, encoding="onehot", min_count=10, code_order="target", extra_features=True, squares=()
    ):
        self.encoding = encoding
        self.min_count = min_count
        self.code_order = code_order
        self.extra_features = extra_features
        self.squares = squares

    # ---------------------------------------------------------------- raw access
    def _columns(self, X) -> dict[str, np.ndarray]:
        """Return {raw column name: 1-D array}; accepts a DataFrame, a dict of columns, a list
        of dict rows or a 2-D array whose columns follow ``RAW_COLUMNS``/``feature_names_in_``.
        Numeric columns keep their dtype (no boxing); absent columns are all missing."""
        if hasattr(X, "columns"):  # pandas DataFrame
            present = set(X.columns)
            n = len(X)
            return {c: X[c].to_numpy() if c in present else missing_column(n) for c in RAW_COLUMNS}
        if isinstance(X, dict):
            given = {c: as_column(X[c]) for c in RAW_COLUMNS if c in X}
            n = max((len(v) for v in given.values()), default=1)
            return {c: given[c] if c in given else missing_column(n) for c in RAW_COLUMNS}
        if isinstance(X, (list, tuple)) and X and isinstance(X[0], dict):
            return {c: np.array([r.get(c) for r in X], dtype=object) for c in RAW_COLUMNS}
        arr = np.asarray(X, dtype=object)
        if arr.ndim == 1:
            arr = arr[None, :]
        names = getattr(self, "feature_names_in_", RAW_COLUMNS)
        idx = {c: i for i, c in enumerate(names)}
        return {c: arr[:, idx[c]] if c in idx else missing_column(len(arr)) for c in RAW_COLUMNS}

    def _clean(self, cols, fitted: bool):
        """Domain imputation. Returns (numeric dict of float arrays, string dict)."""
        num = {c: float_column(cols[c]) for c in NUMERIC}
        for c in ZERO_IF_MISSING:
            num[c] = np.where(np.isnan(num[c]), 0.0, num[c])
        strs = {c: clean_strings(cols[c], c) for c in STRING_COLUMNS}
        self._derive_numeric(num)
        if fitted:
            self._impute(num, strs)
        return num, strs

    @staticmethod
    def _derive_numeric(num):
        """LotFrontageMissing; GarageYrBlt: no garage -> YearBuilt, obvious typos
        (> YrSold + 1) -> YearRemodAdd."""
        num["LotFrontageMissing"] = np.isnan(num["LotFrontage"]).astype(float)
        gy = num["GarageYrBlt"]
        gy = np.where(np.isnan(gy), num["YearBuilt"], gy)
        bad = np.isfinite(num["YrSold"]) & (gy > num["YrSold"] + 1)
        num["GarageYrBlt"] = np.where(bad, num["YearRemodAdd"], gy)

    def _fill_lotfrontage(self, num, neighborhoods):
        """Missing LotFrontage -> the median of its neighbourhood learned in fit."""
        lf = num["LotFrontage"]
        miss = np.isnan(lf)
        if miss.any():
            fill = np.array(
                [self.lotfrontage_by_nbhd_.get(n, self.lotfrontage_median_) for n in neighborhoods]
            )
            num["LotFrontage"] = np.where(miss, fill, lf)

    def _impute(self, num, strs):
        self._fill_lotfrontage(num, strs["Neighborhood"])
        for c, med in self.numeric_medians_.items():
            v = num[c]
            if np.isnan(v).any():
                num[c] = np.where(np.isnan(v), med, v)
        for c, mode in self.modes_.items():
            s = strs[c]
            if None in s.tolist():
                strs[c] = np.array([mode if v is None else v for v in s], dtype=object)

    # ---------------------------------------------------------------- fit / transform
    def fit(self, X, y=None):
        for derived in self.DERIVED:
            self.__dict__.pop(derived, None)
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        cols = self._columns(X)
        num, strs = self._clean(cols, fitted=False)
        # learned imputation values
        nb = strs["Neighborhood"]
        lf = num["LotFrontage"]
        ok = ~np.isnan(lf)
        self.lotfrontage_median_ = float(np.median(lf[ok]))
        self.lotfrontage_by_nbhd_ = {
            n: float(np.median(lf[ok & (nb == n)])) for n in np.unique(nb[ok].astype(str))
        }
        self.numeric_medians_ = {
            c: float(np.nanmedian(v)) if np.isfinite(v).any() else 0.0 for c, v in num.items()
        }
        self.modes_ = {}
        for c, s in strs.items():
            present = [v for v in s if v is not None]
            vals, cnt = np.unique(np.array(present, dtype=str), return_counts=True)
            self.modes_[c] = str(vals[np.argmax(cnt)])
        self._impute(num, strs)
        # nominal levels kept
        yv = None if y is None else np.asarray(y, dtype=float)
        self.levels_ = {}
        for c in NOMINAL:
            vals, cnt = np.unique(strs[c].astype(str), return_counts=True)
            kept = [str(v) for v, k in zip(vals, cnt) if k >= self.min_count]
            has_rare = len(kept) < len(vals)
            if self.encoding == "ordinal":
                mapped = np.array([v if v in kept else "__rare__" for v in strs[c]], dtype=object)
                groups = kept + (["__rare__"] if has_rare else [])
                if self.code_order == "target" and yv is not None:
                    means = [yv[mapped == g].mean() for g in groups]
                    groups = [g for _, g in sorted(zip(means, groups))]
                else:
                    freq = [np.sum(mapped == g) for g in groups]
                    groups = [g for _, g in sorted(zip(freq, groups), reverse=True)]
                code = {g: float(i) for i, g in enumerate(groups)}
                if not has_rare:  # unseen -> most frequent level
                    code["__rare__"] = code[
                        kept[int(np.argmax([np.sum(mapped == g) for g in kept]))]
                    ]
                self.levels_[c] = code
            else:
                self.levels_[c] = {"levels": kept, "rare": has_rare}
        self.ordinal_default_ = {c: ORDINAL_MAPS[c].get(self.modes_[c], 0.0) for c in ORDINAL_MAPS}
        # output names
        names = list(NUMERIC) + list(ORDINAL_MAPS)
        if self.extra_features:
            names += list(ENGINEERED)
        names += [f"{c}^2" for c in self.squares]
        if self.encoding == "ordinal":
            names += [f"{c}_code" for c in NOMINAL]
        else:
            for c in NOMINAL:
                names += [f"{c}={v}" for v in self.levels_[c]["levels"]]
                if self.levels_[c]["rare"]:
                    names.append(f"{c}=__rare__")
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.n_numeric_ = (
            len(NUMERIC)
            + len(ORDINAL_MAPS)
            + len(self.squares)
            + (len(ENGINEERED) if self.extra_features else 0)
        )
        return self

    def transform(self, X):
        return self.encode(self.clean(X))

    def clean(self, X) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The first half of `transform`: raw input -> imputed numeric and level columns.
        It depends only on the imputation learned in fit (`imputation_key`), so fitted
        featurizers with the same key can share one result (see houseprices.inference)."""
        check_is_fitted(self, "levels_")
        cols = self._columns(X)
        if len(cols["LotArea"]) < smallbatch.SMALL_ROWS:
            return smallbatch.clean(self, cols)
        return self._clean(cols, fitted=True)

    #: what is derived from the fitted attributes on first use and kept in __dict__ (not a
    #: parameter, not learned: `fit` drops them)
    DERIVED = ("_imputation_key", "_onehot_layout", "_median_table")

    def _derived(self, name: str, make: Any) -> Any:
        value = self.__dict__.get(name)
        if value is None:
            check_is_fitted(self, "levels_")
            value = self.__dict__[name] = make()
        return value

    @property
    def imputation_key(self) -> str:
        """Identifies what `clean` does: equal keys, equal cleaned columns."""
        return self._derived(
            "_imputation_key",
            lambda: repr(
                (
                    self.lotfrontage_median_,
                    sorted(self.lotfrontage_by_nbhd_.items()),
                    sorted(self.numeric_medians_.items()),
                    sorted(self.modes_.items()),
                )
            ),
        )

    @property
    def onehot_layout(self) -> tuple[list[tuple[str, dict[str, int], int]], int]:
        """Per nominal column: (column, level -> output column of the one-hot block, output
        column of unseen/rare levels: the rare bucket when there is one, else -1 = none), and
        the width of the block."""

        def make() -> tuple[list[tuple[str, dict[str, int], int]], int]:
            tables, offset = [], 0
            for c in NOMINAL:
                lv = self.levels_[c]
                pos = {v: offset + i for i, v in enumerate(lv["levels"])}
                k = len(pos) + int(lv["rare"])
                tables.append((c, pos, offset + k - 1 if lv["rare"] else -1))
                offset += k
            return tables, offset

        return self._derived("_onehot_layout", make)

    @property
    def median_table(self) -> tuple[list[str], np.ndarray]:
        """The numeric medians learned in fit: (column names, a column vector of medians)."""
        return self._derived(
            "_median_table",
            lambda: (
                list(self.numeric_medians_),
                np.array(list(self.numeric_medians_.values()), dtype=float)[:, None],
            ),
        )

    def _squares(self, blocks):
        """The squared columns (`squares`) of the numeric blocks made so far."""
        pos = {c: i for i, c in enumerate(self.feature_names_out_[: self.n_numeric_])}
        return np.hstack(blocks)[:, [pos[c] for c in self.squares]] ** 2

    def encode(self, cleaned: tuple[dict[str, np.ndarray], dict[str, np.ndarray]]) -> np.ndarray:
        """The second half of `transform`: cleaned columns -> the feature array (read only)."""
        num, strs = cleaned
        n = len(num["LotArea"])
        if n < smallbatch.SMALL_ROWS:
            return smallbatch.encode(self, cleaned)
        blocks = [np.column_stack([num[c] for c in NUMERIC])]
        ordv = {}
        for c, m in ORDINAL_MAPS.items():
            d = self.ordinal_default_[c]
            ordv[c] = map_levels(strs[c], m, d, float)
        blocks.append(np.column_stack([ordv[c] for c in ORDINAL_MAPS]))
        if self.extra_features:
            blocks.append(self._engineered(num, ordv))
        if self.squares:
            blocks.append(self._squares(blocks))
        if self.encoding == "ordinal":
            codes = np.empty((n, len(NOMINAL)))
            for j, c in enumerate(NOMINAL):
                m = self.levels_[c]
                rare = m["__rare__"]
                codes[:, j] = map_levels(strs[c], m, rare, float)
            blocks.append(codes)
        else:
            tables, width = self.onehot_layout
            onehot = np.zeros((n, width))
            rows = np.arange(n)
            for c, pos, other in tables:
                col = map_levels(strs[c], pos, other, np.intp)
                hit = col >= 0
                onehot[rows[hit], col[hit]] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks)

    @staticmethod
    def _engineered(num, ordv):
        yr = num["YrSold"]
        house_age = np.clip(yr - num["YearBuilt"], 0, None)
        total_sf = num["TotalBsmtSF"] + num["1stFlrSF"] + num["2ndFlrSF"]
        porch = (
            num["OpenPorchSF"]
            + num["EnclosedPorch"]
            + num["3SsnPorch"]
            + num["ScreenPorch"]
            + num["WoodDeckSF"]
        )
        feats = [
            total_sf,
            num["FullBath"]
            + 0.5 * num["HalfBath"]
            + num["BsmtFullBath"]
            + 0.5 * num["BsmtHalfBath"],
            porch,
            house_age,
            np.clip(yr - num["YearRemodAdd"], 0, None),
            np.clip(yr - num["GarageYrBlt"], 0, None),
            (num["YearRemodAdd"] != num["YearBuilt"]).astype(float),
            (yr <= num["YearBuilt"]).astype(float),
            (num["PoolArea"] > 0).astype(float),
            (num["2ndFlrSF"] > 0).astype(float),
            (num["GarageArea"] > 0).astype(float),
            (num["TotalBsmtSF"] > 0).astype(float),
            (num["Fireplaces"] > 0).astype(float),
            (porch > 0).astype(float),
            (num["MasVnrArea"] > 0).astype(float),
            num["OverallQual"] * total_sf,
            num["OverallQual"] * num["GrLivArea"],
            num["OverallQual"] * num["OverallCond"],
            num["LotFrontageMissing"],
        ]
        return np.column_stack(feats)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()


def remove_outliers(
    frame: pd.DataFrame, max_grlivarea: float, min_saleprice: float
) -> pd.DataFrame:
    """Drop the canonical outliers: huge houses sold cheaply (training data only)."""
    outlier = (frame["GrLivArea"] > max_grlivarea) & (frame[schema.TARGET] < min_saleprice)
    return frame.loc[~outlier].reset_index(drop=True)


def prepare(frame: pd.DataFrame, params: FeatureParams) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The training rows and a report of the engineered features (both encodings)."""
    kept = remove_outliers(frame, params.outliers.max_grlivarea, params.outliers.min_saleprice)
    removed = sorted(set(frame[schema.ID]) - set(kept[schema.ID]))
    X, y = kept.drop(columns=[schema.TARGET]), np.log1p(kept[schema.TARGET].to_numpy(float))
    report: dict[str, Any] = {"rows_in": len(frame), "rows_out": len(kept), "removed_ids": removed}
    for encoding in ("onehot", "ordinal"):
        names = (
            HouseFeaturizer(
                encoding=encoding, squares=LINEAR_SQUARES if encoding == "onehot" else ()
            )
            .fit(X, y)
            .get_feature_names_out()
        )
        report[encoding] = {"n_features": len(names), "features": [str(n) for n in names]}
    return kept, report


def run_stage(paths: Paths, params: FeatureParams) -> dict[str, Any]:
    frame = pd.read_parquet(paths.interim / "train.parquet")
    kept, report = prepare(frame, params)
    paths.processed.mkdir(parents=True, exist_ok=True)
    kept.to_parquet(paths.processed / "train.parquet", index=False)
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "features.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


app = typer.Typer(help="Build the training set.")


@app.command()
def main() -> None:
    """Pipeline stage: remove the training outliers, write data/processed/train.parquet."""
    paths = Paths.from_root()
    report = run_stage(paths, load_params(paths.params).features)
    typer.echo(
        f"training rows {report['rows_out']} (removed Ids {report['removed_ids']}); "
        f"{report['onehot']['n_features']} features for linear models, "
        f"{report['ordinal']['n_features']} for trees"
    )


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)

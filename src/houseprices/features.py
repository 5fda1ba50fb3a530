"""Feature engineering as scikit-learn transformers, fitted inside every CV fold.

Also the pipeline stage `features`: the training set the models learn from (the canonical
outliers removed) and the list of engineered features.

`HouseFeatures` turns a raw Kaggle-format DataFrame into a cleaned, enriched one (domain
imputation, ordinal scales, totals, ages, flags); `SignedLog1p` tames skewed numeric columns;
`build_preprocessor` assembles them with one-hot encoding (rare levels grouped) for models.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import typer
from scipy.stats import skew
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from houseprices import schema
from houseprices.config import Paths
from houseprices.params import FeatureParams, load_params

QUALITY_SCALE = {"None": 0, "Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5}
ORDINAL_MAPS: dict[str, dict[str, int]] = {
    **{
        c: QUALITY_SCALE
        for c in (
            "ExterQual",
            "ExterCond",
            "BsmtQual",
            "BsmtCond",
            "HeatingQC",
            "KitchenQual",
            "FireplaceQu",
            "GarageQual",
            "GarageCond",
            "PoolQC",
        )
    },
    "BsmtExposure": {"None": 0, "No": 1, "Mn": 2, "Av": 3, "Gd": 4},
    "BsmtFinType1": {"None": 0, "Unf": 1, "LwQ": 2, "Rec": 3, "BLQ": 4, "ALQ": 5, "GLQ": 6},
    "BsmtFinType2": {"None": 0, "Unf": 1, "LwQ": 2, "Rec": 3, "BLQ": 4, "ALQ": 5, "GLQ": 6},
    "GarageFinish": {"None": 0, "Unf": 1, "RFn": 2, "Fin": 3},
    "Functional": {
        "Sal": 0,
        "Sev": 1,
        "Maj2": 2,
        "Maj1": 3,
        "Mod": 4,
        "Min2": 5,
        "Min1": 6,
        "Typ": 7,
    },
    "Fence": {"None": 0, "MnWw": 1, "GdWo": 2, "MnPrv": 3, "GdPrv": 4},
    "PavedDrive": {"N": 0, "P": 1, "Y": 2},
    "LandSlope": {"Sev": 0, "Mod": 1, "Gtl": 2},
    "LotShape": {"IR3": 0, "IR2": 1, "IR1": 2, "Reg": 3},
    "CentralAir": {"N": 0, "Y": 1},
}

#: Text columns where a missing value means "the house has no such feature".
ABSENT_MEANS_NONE = (
    "Alley",
    "BsmtQual",
    "BsmtCond",
    "BsmtExposure",
    "BsmtFinType1",
    "BsmtFinType2",
    "FireplaceQu",
    "GarageType",
    "GarageFinish",
    "GarageQual",
    "GarageCond",
    "PoolQC",
    "Fence",
    "MiscFeature",
    "MasVnrType",
)
#: Numeric columns where a missing value means zero (no basement, garage, veneer).
ABSENT_MEANS_ZERO = (
    "MasVnrArea",
    "BsmtFinSF1",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "BsmtFullBath",
    "BsmtHalfBath",
    "GarageCars",
    "GarageArea",
)
#: Numeric codes that are really categories.
AS_CATEGORY = ("MSSubClass", "MoSold", "YrSold")
PORCHES = ("OpenPorchSF", "EnclosedPorch", "3SsnPorch", "ScreenPorch", "WoodDeckSF")


class HouseFeatures(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Domain cleaning and feature construction on a Kaggle-format DataFrame.

    Learns (in `fit`): LotFrontage median per Neighborhood, and the mode/median used for any
    other missing value. Output: a DataFrame whose text columns are categories (plus
    MSSubClass/MoSold/YrSold) and whose other columns are numeric, ordinal scales included.
    Unseen category levels pass through (the encoder downstream ignores them).
    """

    def __init__(self, drop: tuple[str, ...] = ("Utilities", "Street", "PoolQC")) -> None:
        self.drop = drop

    def _clean(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("HouseFeatures needs a pandas DataFrame with the Kaggle columns.")
        df = X.drop(columns=[schema.ID, schema.TARGET], errors="ignore").copy()
        missing = [c for c in schema.FEATURES if c not in df.columns]
        for column in missing:
            df[column] = np.nan
        for column in schema.CATEGORICAL:
            values = df[column].astype("object").where(df[column].notna(), None)
            df[column] = values.replace(schema.ALIASES.get(column, {}))
        for column in schema.NUMERIC:
            df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
        for column in ABSENT_MEANS_NONE:
            df[column] = df[column].fillna("None")
        for column in ABSENT_MEANS_ZERO:
            df[column] = df[column].fillna(0.0)
        bad_garage_year = df["GarageYrBlt"].isna() | (df["GarageYrBlt"] > df["YrSold"] + 1)
        df["GarageYrBlt"] = df["GarageYrBlt"].where(~bad_garage_year, df["YearBuilt"])
        return df

    def fit(self, X: pd.DataFrame, y: Any = None) -> HouseFeatures:
        df = self._clean(X)
        self.lot_frontage_by_neighborhood_ = (
            df.groupby("Neighborhood")["LotFrontage"].median().dropna().to_dict()
        )
        self.lot_frontage_median_ = (
            float(np.nanmedian(df["LotFrontage"])) if df["LotFrontage"].notna().any() else 70.0
        )
        self.numeric_fill_ = {
            c: float(df[c].median()) if df[c].notna().any() else 0.0 for c in schema.NUMERIC
        }
        self.category_fill_ = {
            c: (df[c].mode().iloc[0] if df[c].notna().any() else "None") for c in schema.CATEGORICAL
        }
        self.feature_names_in_ = np.asarray(schema.FEATURES, dtype=object)
        self.n_features_in_ = len(schema.FEATURES)
        self.feature_names_out_ = np.asarray(self._build(df).columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "numeric_fill_")
        return self._build(self._clean(X))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def _build(self, df: pd.DataFrame) -> pd.DataFrame:
        by_hood = df["Neighborhood"].map(getattr(self, "lot_frontage_by_neighborhood_", {}))
        df["LotFrontage"] = (
            df["LotFrontage"].fillna(by_hood).fillna(getattr(self, "lot_frontage_median_", 70.0))
        )
        for column in schema.NUMERIC:
            df[column] = df[column].fillna(getattr(self, "numeric_fill_", {}).get(column, 0.0))
        for column in schema.CATEGORICAL:
            df[column] = df[column].fillna(getattr(self, "category_fill_", {}).get(column, "None"))

        new: dict[str, pd.Series] = {}
        for column, mapping in ORDINAL_MAPS.items():
            new[f"{column}_ord"] = df[column].map(mapping).fillna(0).astype(float)
        new["TotalSF"] = df["TotalBsmtSF"] + df["1stFlrSF"] + df["2ndFlrSF"]
        new["TotalBath"] = (
            df["FullBath"] + 0.5 * df["HalfBath"] + df["BsmtFullBath"] + 0.5 * df["BsmtHalfBath"]
        )
        new["TotalPorchSF"] = df[list(PORCHES)].sum(axis=1)
        new["HouseAge"] = (df["YrSold"] - df["YearBuilt"]).clip(lower=0)
        new["RemodAge"] = (df["YrSold"] - df["YearRemodAdd"]).clip(lower=0)
        new["GarageAge"] = (df["YrSold"] - df["GarageYrBlt"]).clip(lower=0)
        new["Remodeled"] = (df["YearRemodAdd"] != df["YearBuilt"]).astype(float)
        new["QualSF"] = df["OverallQual"] * df["GrLivArea"]
        flags = {"HasPool": df["PoolArea"], "Has2ndFloor": df["2ndFlrSF"],
                 "HasGarage": df["GarageArea"], "HasBsmt": df["TotalBsmtSF"],
                 "HasFireplace": df["Fireplaces"], "HasPorch": new["TotalPorchSF"]}  # fmt: skip
        for flag, source in flags.items():
            new[flag] = (source > 0).astype(float)
        out = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)
        for column in AS_CATEGORY:
            out[column] = out[column].round().astype("Int64").astype(str)
        out = out.drop(columns=[c for c in self.drop if c in out.columns])
        text = [c for c in out.columns if c in schema.CATEGORICAL or c in AS_CATEGORY]
        out[text] = out[text].astype("category")
        return out


class SignedLog1p(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """sign(x)·log1p(|x|) on the columns whose |skewness| in `fit` exceeds `threshold`."""

    def __init__(self, threshold: float = 0.75) -> None:
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> SignedLog1p:
        X = validate_data(self, X, dtype=np.float64)
        with np.errstate(all="ignore"):
            skews = np.nan_to_num(skew(X, axis=0), nan=0.0)
        self.skewed_ = np.abs(skews) > self.threshold
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "skewed_")
        X = validate_data(self, X, dtype=np.float64, reset=False, copy=True)
        cols = self.skewed_
        X[:, cols] = np.sign(X[:, cols]) * np.log1p(np.abs(X[:, cols]))
        return X


def build_preprocessor(rare_min_frequency: int = 10, skew_threshold: float = 0.75) -> Pipeline:
    """Raw Kaggle rows -> a dense numeric matrix for linear/kernel models."""
    encode = ColumnTransformer(
        [
            (
                "num",
                Pipeline([("skew", SignedLog1p(skew_threshold)), ("scale", StandardScaler())]),
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=rare_min_frequency,
                    sparse_output=False,
                ),
                make_column_selector(dtype_include="category"),
            ),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("house", HouseFeatures()), ("encode", encode)])


def remove_outliers(
    frame: pd.DataFrame, max_grlivarea: float, min_saleprice: float
) -> pd.DataFrame:
    """Drop the canonical outliers: huge houses sold cheaply (training data only)."""
    outlier = (frame["GrLivArea"] > max_grlivarea) & (frame[schema.TARGET] < min_saleprice)
    return frame.loc[~outlier].reset_index(drop=True)


def prepare(frame: pd.DataFrame, params: FeatureParams) -> tuple[pd.DataFrame, dict[str, object]]:
    kept = remove_outliers(frame, params.outliers.max_grlivarea, params.outliers.min_saleprice)
    removed = sorted(set(frame[schema.ID]) - set(kept[schema.ID]))
    pre = build_preprocessor(params.rare_min_frequency, params.skew_threshold).fit(kept)
    names = [str(n) for n in pre.get_feature_names_out()]
    report = {
        "rows_in": len(frame),
        "rows_out": len(kept),
        "removed_ids": removed,
        "n_features": len(names),
        "features": names,
    }
    return kept, report


def run_stage(paths: Paths, params: FeatureParams) -> dict[str, object]:
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
    """Pipeline stage: remove training outliers, write data/processed/train.parquet."""
    paths = Paths.from_root()
    report = run_stage(paths, load_params(paths.params).features)
    typer.echo(
        f"training rows {report['rows_out']} (removed Ids {report['removed_ids']}), "
        f"{report['n_features']} encoded features"
    )


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)

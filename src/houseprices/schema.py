"""The data contract of the Kaggle files: all 81 columns, their types, levels and ranges.

Category levels are those of data_description.txt. The real files spell a few levels
differently from the description; those spellings are accepted deliberately (ALIASES) and
mapped back to the description's spelling by the feature pipeline, so that for instance
Exterior1st and Exterior2nd share one vocabulary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from houseprices.errors import DataValidationError

if TYPE_CHECKING:  # pandera is imported where a schema is built: the constants load fast
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

ID = "Id"
TARGET = "SalePrice"

_QUALITY = ("Ex", "Gd", "TA", "Fa", "Po")
_CONDITION = ("Artery", "Feedr", "Norm", "RRNn", "RRAn", "PosN", "PosA", "RRNe", "RRAe")
_EXTERIOR = (
    "AsbShng",
    "AsphShn",
    "BrkComm",
    "BrkFace",
    "CBlock",
    "CemntBd",
    "HdBoard",
    "ImStucc",
    "MetalSd",
    "Other",
    "Plywood",
    "PreCast",
    "Stone",
    "Stucco",
    "VinylSd",
    "Wd Sdng",
    "WdShing",
)
_BSMT_FIN = ("GLQ", "ALQ", "BLQ", "Rec", "LwQ", "Unf")

#: Levels of every nominal/ordinal text column, as data_description.txt spells them
#: ("NA" = feature absent is read as missing, so it is not a level).
LEVELS: dict[str, tuple[str, ...]] = {
    "MSZoning": ("A", "C", "FV", "I", "RH", "RL", "RP", "RM"),
    "Street": ("Grvl", "Pave"),
    "Alley": ("Grvl", "Pave"),
    "LotShape": ("Reg", "IR1", "IR2", "IR3"),
    "LandContour": ("Lvl", "Bnk", "HLS", "Low"),
    "Utilities": ("AllPub", "NoSewr", "NoSeWa", "ELO"),
    "LotConfig": ("Inside", "Corner", "CulDSac", "FR2", "FR3"),
    "LandSlope": ("Gtl", "Mod", "Sev"),
    "Neighborhood": (
        "Blmngtn",
        "Blueste",
        "BrDale",
        "BrkSide",
        "ClearCr",
        "CollgCr",
        "Crawfor",
        "Edwards",
        "Gilbert",
        "IDOTRR",
        "MeadowV",
        "Mitchel",
        "Names",
        "NoRidge",
        "NPkVill",
        "NridgHt",
        "NWAmes",
        "OldTown",
        "SWISU",
        "Sawyer",
        "SawyerW",
        "Somerst",
        "StoneBr",
        "Timber",
        "Veenker",
    ),
    "Condition1": _CONDITION,
    "Condition2": _CONDITION,
    "BldgType": ("1Fam", "2FmCon", "Duplx", "TwnhsE", "TwnhsI"),
    "HouseStyle": ("1Story", "1.5Fin", "1.5Unf", "2Story", "2.5Fin", "2.5Unf", "SFoyer", "SLvl"),
    "RoofStyle": ("Flat", "Gable", "Gambrel", "Hip", "Mansard", "Shed"),
    "RoofMatl": ("ClyTile", "CompShg", "Membran", "Metal", "Roll", "Tar&Grv", "WdShake", "WdShngl"),
    "Exterior1st": _EXTERIOR,
    "Exterior2nd": _EXTERIOR,
    "MasVnrType": ("BrkCmn", "BrkFace", "CBlock", "None", "Stone"),
    "ExterQual": _QUALITY,
    "ExterCond": _QUALITY,
    "Foundation": ("BrkTil", "CBlock", "PConc", "Slab", "Stone", "Wood"),
    "BsmtQual": _QUALITY,
    "BsmtCond": _QUALITY,
    "BsmtExposure": ("Gd", "Av", "Mn", "No"),
    "BsmtFinType1": _BSMT_FIN,
    "BsmtFinType2": _BSMT_FIN,
    "Heating": ("Floor", "GasA", "GasW", "Grav", "OthW", "Wall"),
    "HeatingQC": _QUALITY,
    "CentralAir": ("N", "Y"),
    "Electrical": ("SBrkr", "FuseA", "FuseF", "FuseP", "Mix"),
    "KitchenQual": _QUALITY,
    "Functional": ("Typ", "Min1", "Min2", "Mod", "Maj1", "Maj2", "Sev", "Sal"),
    "FireplaceQu": _QUALITY,
    "GarageType": ("2Types", "Attchd", "Basment", "BuiltIn", "CarPort", "Detchd"),
    "GarageFinish": ("Fin", "RFn", "Unf"),
    "GarageQual": _QUALITY,
    "GarageCond": _QUALITY,
    "PavedDrive": ("Y", "P", "N"),
    "PoolQC": ("Ex", "Gd", "TA", "Fa"),
    "Fence": ("GdPrv", "MnPrv", "GdWo", "MnWw"),
    "MiscFeature": ("Elev", "Gar2", "Othr", "Shed", "TenC"),
    "SaleType": ("WD", "CWD", "VWD", "New", "COD", "Con", "ConLw", "ConLI", "ConLD", "Oth"),
    "SaleCondition": ("Normal", "Abnorml", "AdjLand", "Alloca", "Family", "Partial"),
}

#: Spellings found in the real files that differ from data_description.txt -> description's.
ALIASES: dict[str, dict[str, str]] = {
    "MSZoning": {"C (all)": "C"},
    "Neighborhood": {"NAmes": "Names"},
    "BldgType": {"2fmCon": "2FmCon", "Duplex": "Duplx", "Twnhs": "TwnhsI"},
    "Exterior2nd": {"CmentBd": "CemntBd", "Wd Shng": "WdShing", "Brk Cmn": "BrkComm"},
}

MSSUBCLASS_CODES = (20, 30, 40, 45, 50, 60, 70, 75, 80, 85, 90, 120, 150, 160, 180, 190)

#: Numeric columns -> (min, max) inclusive; None means unbounded on that side.
# Upper bounds at about ten times the largest value in the Kaggle files (GrLivArea 5 642,
# LotArea 215 245, LotFrontage 313, MiscVal 17 000): generous for real houses, and the model
# stays finite at the bounds (a linear member with squared areas explodes far beyond them).
MAX_AREA = 60_000  # square feet, any part of a house
MAX_LOT_AREA = 2_500_000
MAX_FEET = 3_000
MAX_DOLLARS = 200_000
NUMERIC_RANGES: dict[str, tuple[float | None, float | None]] = {
    "MSSubClass": (20, 190),
    "LotFrontage": (1, MAX_FEET),
    "LotArea": (1, MAX_LOT_AREA),
    "OverallQual": (1, 10),
    "OverallCond": (1, 10),
    "YearBuilt": (1800, 2100),
    "YearRemodAdd": (1800, 2100),
    "MasVnrArea": (0, MAX_AREA),
    "BsmtFinSF1": (0, MAX_AREA),
    "BsmtFinSF2": (0, MAX_AREA),
    "BsmtUnfSF": (0, MAX_AREA),
    "TotalBsmtSF": (0, MAX_AREA),
    "1stFlrSF": (1, MAX_AREA),
    "2ndFlrSF": (0, MAX_AREA),
    "LowQualFinSF": (0, MAX_AREA),
    "GrLivArea": (1, MAX_AREA),
    "BsmtFullBath": (0, 20),
    "BsmtHalfBath": (0, 20),
    "FullBath": (0, 20),
    "HalfBath": (0, 20),
    "BedroomAbvGr": (0, 50),
    "KitchenAbvGr": (0, 20),
    "TotRmsAbvGrd": (0, 100),
    "Fireplaces": (0, 20),
    # test.csv has one GarageYrBlt of 2207 (a typo for 2007): ranges are wide here and the
    # "built after the sale" case is a warning (see quality_warnings) handled by the features.
    "GarageYrBlt": (1800, 2300),
    "GarageCars": (0, 20),
    "GarageArea": (0, MAX_AREA),
    "WoodDeckSF": (0, MAX_AREA),
    "OpenPorchSF": (0, MAX_AREA),
    "EnclosedPorch": (0, MAX_AREA),
    "3SsnPorch": (0, MAX_AREA),
    "ScreenPorch": (0, MAX_AREA),
    "PoolArea": (0, MAX_AREA),
    "MiscVal": (0, MAX_DOLLARS),
    "MoSold": (1, 12),
    "YrSold": (1800, 2100),
}

#: Column order of the Kaggle files (train has SalePrice last; test does not have it).
COLUMNS: tuple[str, ...] = (
    "Id",
    "MSSubClass",
    "MSZoning",
    "LotFrontage",
    "LotArea",
    "Street",
    "Alley",
    "LotShape",
    "LandContour",
    "Utilities",
    "LotConfig",
    "LandSlope",
    "Neighborhood",
    "Condition1",
    "Condition2",
    "BldgType",
    "HouseStyle",
    "OverallQual",
    "OverallCond",
    "YearBuilt",
    "YearRemodAdd",
    "RoofStyle",
    "RoofMatl",
    "Exterior1st",
    "Exterior2nd",
    "MasVnrType",
    "MasVnrArea",
    "ExterQual",
    "ExterCond",
    "Foundation",
    "BsmtQual",
    "BsmtCond",
    "BsmtExposure",
    "BsmtFinType1",
    "BsmtFinSF1",
    "BsmtFinType2",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "Heating",
    "HeatingQC",
    "CentralAir",
    "Electrical",
    "1stFlrSF",
    "2ndFlrSF",
    "LowQualFinSF",
    "GrLivArea",
    "BsmtFullBath",
    "BsmtHalfBath",
    "FullBath",
    "HalfBath",
    "BedroomAbvGr",
    "KitchenAbvGr",
    "KitchenQual",
    "TotRmsAbvGrd",
    "Functional",
    "Fireplaces",
    "FireplaceQu",
    "GarageType",
    "GarageYrBlt",
    "GarageFinish",
    "GarageCars",
    "GarageArea",
    "GarageQual",
    "GarageCond",
    "PavedDrive",
    "WoodDeckSF",
    "OpenPorchSF",
    "EnclosedPorch",
    "3SsnPorch",
    "ScreenPorch",
    "PoolArea",
    "PoolQC",
    "Fence",
    "MiscFeature",
    "MiscVal",
    "MoSold",
    "YrSold",
    "SaleType",
    "SaleCondition",
)
FEATURES: tuple[str, ...] = COLUMNS[1:]
CATEGORICAL: tuple[str, ...] = tuple(c for c in FEATURES if c in LEVELS)
NUMERIC: tuple[str, ...] = tuple(c for c in FEATURES if c not in LEVELS)


def allowed_levels(column: str) -> tuple[str, ...]:
    """Description levels plus the real files' alternative spellings."""
    return LEVELS[column] + tuple(ALIASES.get(column, {}))


def _numeric_column(name: str) -> pa.Column:
    import pandera.pandas as pa

    lo, hi = NUMERIC_RANGES[name]
    checks = []
    if lo is not None:
        checks.append(pa.Check.ge(lo))
    if hi is not None:
        checks.append(pa.Check.le(hi))
    if name == "MSSubClass":
        checks = [pa.Check.isin(MSSUBCLASS_CODES)]
    return pa.Column(float, checks=checks, nullable=True, coerce=True)


def quality_warnings(frame: pd.DataFrame) -> list[str]:
    """Suspicious but accepted values, reported without stopping the pipeline."""
    warnings: list[str] = []
    if {"GarageYrBlt", "YrSold", ID} <= set(frame.columns):
        late = frame[pd.to_numeric(frame["GarageYrBlt"], errors="coerce") > frame["YrSold"] + 1]
        if len(late):
            warnings.append(
                f"GarageYrBlt later than YrSold + 1 for Id {late[ID].tolist()} "
                f"(values {late['GarageYrBlt'].tolist()}): a typo in the source; the features "
                "use YearBuilt instead."
            )
    return warnings


def build_schema(with_target: bool) -> pa.DataFrameSchema:
    """The schema of train.csv (`with_target`) or test.csv / a prediction request."""
    import pandera.pandas as pa

    columns: dict[str, pa.Column] = {
        ID: pa.Column(int, checks=pa.Check.ge(1), unique=True, nullable=False, coerce=True),
    }
    for name in FEATURES:
        if name in LEVELS:
            columns[name] = pa.Column(str, pa.Check.isin(allowed_levels(name)), nullable=True)
        else:
            columns[name] = _numeric_column(name)
    if with_target:
        columns[TARGET] = pa.Column(float, pa.Check.gt(0), nullable=False, coerce=True)
    return pa.DataFrameSchema(
        columns,
        strict=True,
        ordered=False,
        checks=[
            pa.Check(
                lambda df: len(df) > 0,
                element_wise=False,
                name="not_empty",
                error="the file has no rows",
            ),
        ],
        name="train" if with_target else "test",
    )


def read_csv(path: Path) -> pd.DataFrame:
    """Read a Kaggle-format CSV with text columns as strings (even when entirely empty)."""
    try:
        return pd.read_csv(path, dtype={c: "str" for c in CATEGORICAL})
    except pd.errors.EmptyDataError as exc:
        raise DataValidationError(
            f"{path} is empty: it has no header and no rows. Fetch the data again with "
            "`houseprices data fetch`."
        ) from exc


_TABLE_CHECKS = {
    "column_in_schema": "unexpected column (not in the Kaggle format; remove it)",
    "column_in_dataframe": "missing column (add it; values may be empty)",
}


def _report_from(errors: SchemaErrors, frame: pd.DataFrame) -> list[dict[str, object]]:
    cases = errors.failure_cases
    ids = frame[ID] if ID in frame.columns else None
    report: list[dict[str, object]] = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        if check in _TABLE_CHECKS:
            for value in group["failure_case"]:
                report.append(
                    {
                        "column": str(value),
                        "check": _TABLE_CHECKS[str(check)],
                        "count": 1,
                        "csv_lines": [],
                        "values": [],
                    }
                )
            continue
        index = [int(i) for i in group["index"].dropna().tolist()]
        rows = [i + 2 for i in index]  # 1-based CSV line numbers, header is line 1
        entry: dict[str, object] = {
            "column": None if pd.isna(column) else str(column),
            "check": str(check),
            "count": len(group),
            "csv_lines": rows[:20],
            "values": [str(v) for v in group["failure_case"].head(5).tolist()],
        }
        if ids is not None and index:
            entry["ids"] = [str(ids.iloc[i]) for i in index[:20] if i < len(ids)]
        report.append(entry)
    return report


def validate_frame(frame: pd.DataFrame, with_target: bool, source: str = "data") -> pd.DataFrame:
    """Validate and coerce; raise DataValidationError naming every bad column and row."""
    from pandera.errors import SchemaErrors

    schema = build_schema(with_target)
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        report = _report_from(errors, frame)
        lines = [
            f"  - column {e['column'] or '<table>'}: {e['check']} failed {e['count']}x "
            f"at CSV lines {e['csv_lines']} (values {e['values']})"
            for e in report
        ]
        raise DataValidationError(
            f"{source} does not match the {schema.name} schema:\n" + "\n".join(lines) + "\n"
            "Fix these rows/columns in the file (or fetch the original data again).",
            report,
        ) from None

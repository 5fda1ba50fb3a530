import pytest

from houseprices.errors import ParamsError
from houseprices.params import Params, load_params, parse_params


def test_defaults_when_empty() -> None:
    assert parse_params({}) == Params()


def test_nested_sections_become_dataclasses() -> None:
    params = parse_params(
        {
            "features": {"outliers": {"max_grlivarea": 3500}, "rare_min_frequency": 5},
            "train": {
                "seed": 7,
                "cv": {"n_splits": 3},
                "model": {"name": "ridge", "params": {"alpha": 2}},
            },
        }
    )
    assert params.features.outliers.max_grlivarea == 3500
    assert params.features.outliers.min_saleprice == 300000
    assert params.features.rare_min_frequency == 5
    assert params.train.cv.n_splits == 3 and params.train.cv.n_repeats == 3
    assert params.train.model.name == "ridge" and params.train.model.params == {"alpha": 2}


def test_params_are_frozen() -> None:
    params = parse_params({})
    with pytest.raises(AttributeError):
        params.train.seed = 1  # type: ignore[misc]


def test_unknown_key_names_the_section() -> None:
    with pytest.raises(ParamsError, match=r"unknown key\(s\) \['n_split'\] under 'train.cv'"):
        parse_params({"train": {"cv": {"n_split": 3}}})


def test_wrong_type_is_reported() -> None:
    with pytest.raises(ParamsError, match=r"train\.seed"):
        parse_params({"train": {"seed": "forty-two"}})
    with pytest.raises(ParamsError, match="must be a mapping"):
        parse_params({"train": 3})


def test_repository_params_file_parses(tmp_path) -> None:
    from tests.conftest import REPO

    assert load_params(REPO / "params.yaml").train.cv.n_splits >= 2
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "params.yaml")

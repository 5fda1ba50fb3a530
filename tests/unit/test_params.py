import pytest

from houseprices.errors import ParamsError
from houseprices.params import Params, load_params, parse_params


def test_defaults_when_empty() -> None:
    assert parse_params({}) == Params()


def test_nested_sections_become_dataclasses() -> None:
    params = parse_params(
        {
            "features": {"outliers": {"max_grlivarea": 3500}},
            "train": {
                "seed": 7,
                "cv": {"n_splits": 3},
                "families": {"ridge": {"model": {"alpha": 2}}},
            },
        }
    )
    assert params.features.outliers.max_grlivarea == 3500
    assert params.features.outliers.min_saleprice == 300000
    assert params.train.cv.n_splits == 3 and params.train.cv.n_repeats == 3
    assert params.train.families == {"ridge": {"model": {"alpha": 2}}}


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


def test_profile_overrides_dotted_keys() -> None:
    raw = {
        "profile": "fast",
        "profiles": {"fast": {"train.cv.n_repeats": 1}},
        "train": {"cv": {"n_repeats": 3}},
    }
    assert parse_params(raw).train.cv.n_repeats == 1
    assert parse_params({**raw, "profile": "full"}).train.cv.n_repeats == 3
    assert raw["train"]["cv"]["n_repeats"] == 3  # the raw mapping is not modified


def test_unknown_profile_is_reported() -> None:
    with pytest.raises(ParamsError, match="profile 'turbo'"):
        parse_params({"profile": "turbo", "profiles": {"fast": {}}})
    with pytest.raises(ParamsError, match=r"unknown key 'train\.nope\.x'"):
        parse_params({"profile": "fast", "profiles": {"fast": {"train.nope.x": 1}}})

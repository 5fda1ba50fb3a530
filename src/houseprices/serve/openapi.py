"""OpenAPI descriptions of the raw-body routes (the app reads bodies itself, for speed)."""

from __future__ import annotations

from typing import Any

from houseprices import schema
from houseprices.serve.contract import REQUIRED
from houseprices.serve.predictor import CANNED_HOUSE


def house_record_schema() -> dict[str, Any]:
    """JSON Schema of one house: every test.csv column, typed, nullable unless required."""
    properties: dict[str, Any] = {
        schema.ID: {"type": "integer", "minimum": 1, "description": "Echoed back when given."}
    }
    for name in schema.FEATURES:
        if name in schema.LEVELS:
            prop: dict[str, Any] = {"type": "string", "enum": list(schema.allowed_levels(name))}
        else:
            lo, hi = schema.NUMERIC_RANGES[name]
            prop = {"type": "number"}
            if name == "MSSubClass":
                prop["enum"] = list(schema.MSSUBCLASS_CODES)
            if lo is not None:
                prop["minimum"] = lo
            if hi is not None:
                prop["maximum"] = hi
        properties[name] = prop if name in REQUIRED else {"anyOf": [prop, {"type": "null"}]}
    return {
        "type": "object",
        "title": "HouseRecord",
        "properties": properties,
        "required": list(REQUIRED),
        "additionalProperties": False,
    }


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"]},
            "details": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["error", "message"],
    }


def invocations_openapi() -> dict[str, Any]:
    record = {"$ref": "#/components/schemas/HouseRecord"}
    example_csv = ",".join(CANNED_HOUSE) + "\n" + ",".join(str(v) for v in CANNED_HOUSE.values())
    prediction = {
        "type": "object",
        "properties": {
            "Id": {"type": "integer"},
            "SalePrice": {"type": "number"},
            "lower": {"type": "number"},
            "upper": {"type": "number"},
        },
        "required": ["SalePrice", "lower", "upper"],
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "parameters": [
            {
                "name": "X-Model-Variant",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Model variant to use (default: the champion).",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": example_csv,
                },
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "array", "items": record, "minItems": 1},
                            {
                                "type": "object",
                                "properties": {
                                    "columns": {"type": "array", "items": {"type": "string"}},
                                    "data": {"type": "array", "items": {"type": "array"}},
                                },
                                "required": ["columns", "data"],
                            },
                            {
                                "type": "object",
                                "properties": {"instances": {"type": "array", "items": record}},
                                "required": ["instances"],
                            },
                        ]
                    },
                    "example": [CANNED_HOUSE],
                },
            },
        },
        "responses": {
            "200": {
                "description": "Price and its prediction interval for every row, in row order.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "predictions": {"type": "array", "items": prediction},
                                "coverage": {"type": "number"},
                                "variant": {"type": "string"},
                            },
                        }
                    },
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            "400": {"description": "Malformed body or invalid values", "content": error},
            "406": {"description": "Accept names no supported type", "content": error},
            "413": {"description": "Body or row count over the limit", "content": error},
            "415": {"description": "Content-Type is not text/csv or JSON", "content": error},
        },
    }


def components() -> dict[str, Any]:
    return {"HouseRecord": house_record_schema(), "Error": _error_schema()}

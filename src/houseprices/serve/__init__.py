"""Online serving on Amazon SageMaker's container contract (GET /ping, POST /invocations :8080).

Three layers, each testable alone:

- `codecs`: request bodies (CSV with or without header, JSON records/split) -> a typed
  `contract.Batch`, and predictions -> CSV or JSON;
- `predictor`: `Predictor` (one loaded model variant), `ModelRegistry` (named variants side by
  side, with a default) and `PredictionLog` (every prediction handed to a background writer);
- `app`: the FastAPI routes, errors and Prometheus metrics.

`launcher` runs nginx -> gunicorn (uvicorn workers) -> app; `training` is the container's
`train` program; `opt_ml` holds the `/opt/ml` layout.
"""

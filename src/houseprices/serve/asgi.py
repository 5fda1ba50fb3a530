"""The ASGI app gunicorn's uvicorn workers load: `houseprices.serve.asgi:app`.

gunicorn preloads this module in its master, then forks the workers: the feature code (and
the scikit-learn modules it imports) is imported once there, so a worker only unpickles the
model. Nothing here starts a thread pool (the model is loaded and first run in each worker).
"""

import houseprices.features  # noqa: F401  (preload: what every model artifact unpickles)
from houseprices.serve.app import create_app

app = create_app()

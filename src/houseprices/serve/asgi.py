"""The ASGI app gunicorn's uvicorn workers load: `houseprices.serve.asgi:app`."""

from houseprices.serve.app import create_app

app = create_app()

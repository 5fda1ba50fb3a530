"""`python -m houseprices.serve [OPTIONS]`: the serving stack without importing the whole CLI
(the container's `serve` program uses it: a quicker cold start)."""

from __future__ import annotations

import logging
import os
import sys

import typer

from houseprices.errors import HousePricesError
from houseprices.serve.cli import serve_cmd


def main() -> None:
    level = os.environ.get("HOUSEPRICES_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve_cmd)
    try:
        app(standalone_mode=True)
    except HousePricesError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

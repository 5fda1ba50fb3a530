"""Running a Typer app as a program: logging set-up and clean error exits."""

from __future__ import annotations

import logging
import os
import sys

import click
import typer

from houseprices.errors import HousePricesError


def configure_logging() -> None:
    level = os.environ.get("HOUSEPRICES_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(typer_app: typer.Typer) -> None:
    """Run a Typer app; turn our own errors into a one-line message and exit code 1."""
    configure_logging()
    try:
        code = typer_app(standalone_mode=False)
    except HousePricesError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

"""The `houseprices` command line: one sub-command per lifecycle verb."""

from __future__ import annotations

import logging
import os
import sys

import typer

from houseprices import data, evaluate, features, predict, train
from houseprices.errors import HousePricesError
from houseprices.serve.cli import serve_cmd

app = typer.Typer(
    help="House Prices MLOps: data, features, train, evaluate, predict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.command("features")(features.main)
app.command("train")(train.main)
app.command("evaluate")(evaluate.main)
app.command("predict")(predict.batch_cmd)
app.command("submission")(predict.submission_cmd)
app.command("serve")(serve_cmd)


def configure_logging() -> None:
    level = os.environ.get("HOUSEPRICES_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(typer_app: typer.Typer) -> None:
    """Run a Typer app; turn our own errors into a clean message and exit code 1."""
    configure_logging()
    try:
        typer_app(standalone_mode=False)
    except HousePricesError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()

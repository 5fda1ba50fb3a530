"""The `houseprices` command line: one sub-command per lifecycle verb."""

from __future__ import annotations

import typer

from houseprices import data, evaluate, features, predict, registry, train
from houseprices.runner import run
from houseprices.serve.cli import serve_cmd

app = typer.Typer(
    help="House Prices MLOps: data, features, train, evaluate, predict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(registry.app, name="registry")
app.command("features")(features.main)
app.command("train")(train.main)
app.command("evaluate")(evaluate.main)
app.command("predict")(predict.batch_cmd)
app.command("submission")(predict.submission_cmd)
app.command("serve")(serve_cmd)


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()

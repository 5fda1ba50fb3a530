"""The `houseprices` command line: one sub-command per lifecycle verb."""

from __future__ import annotations

import typer

from houseprices import data, ensemble, evaluate, features, predict, registry, train, tune
from houseprices.runner import run
from houseprices.serve.cli import serve_cmd

app = typer.Typer(
    help="House Prices MLOps: data, features, train, ensemble, evaluate, predict, tune.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(registry.app, name="registry")
app.command("features")(features.main)
app.add_typer(train.app, name="train")
app.command("ensemble")(ensemble.main)
app.command("evaluate")(evaluate.main)
app.command("tune")(tune.main)
app.command("predict")(predict.batch_cmd)
app.command("submission")(predict.submission_cmd)
app.command("serve")(serve_cmd)


@app.command("metrics")
def metrics_cmd() -> None:
    """Print the champion's metrics and every family's CV score (reports/metrics.json)."""
    import json

    from houseprices.config import Paths

    path = Paths.from_root().metrics
    if not path.is_file():
        typer.echo(f"No {path}: run the pipeline first (`make run`).", err=True)
        raise typer.Exit(1)
    typer.echo(evaluate.format_table(json.loads(path.read_text())))


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()

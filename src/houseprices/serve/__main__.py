"""`python -m houseprices.serve [OPTIONS]`: the serving stack without importing the whole CLI
(the container's `serve` program uses it: a quicker cold start)."""

from __future__ import annotations

import typer

from houseprices.runner import run
from houseprices.serve.cli import serve_cmd


def main() -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve_cmd)
    run(app)


if __name__ == "__main__":
    main()

"""Flask CLI commands: seed-demo (and, as the project grows, create-user, import, analyse, report)."""
import click
from flask.cli import with_appcontext

from engage.extensions import db


@click.command("seed-demo")
@click.option("--responses", default=360, show_default=True, help="How many made-up responses to add.")
@click.option("--seed", default=2021, show_default=True, help="Random seed, so the demo is the same every time.")
@with_appcontext
def seed_demo_command(responses: int, seed: int) -> None:
    """Create the demo "School Resource Officer Program Review" consultation (slug sro-review)."""
    from engage.services.demo import seed_demo

    consultation, added = seed_demo(responses=responses, seed=seed)
    db.session.commit()
    if added:
        click.echo(f"Created demo consultation '{consultation.slug}' with {added} made-up responses.")
    else:
        click.echo(f"Demo consultation '{consultation.slug}' already exists; nothing changed.")


def init_app(app) -> None:
    app.cli.add_command(seed_demo_command)

"""Flask CLI commands: seed-demo (and, as the project grows, create-user, import, analyse, report)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from engage.extensions import db
from engage.imports.commands import import_command
from engage.jobs import QUEUE_NAME
from engage.ops.commands import backup_command, purge_command, restore_command
from engage.reporting.cli import report_command
from engage.services import search_index


@click.command("seed-demo")
@click.option("--responses", default=360, show_default=True, help="How many made-up responses to add.")
@click.option("--seed", default=2021, show_default=True, help="Random seed, so the demo is the same every time.")
@click.option("--without-review", is_flag=True, help="Skip the demo program review (sro-program-review).")
@with_appcontext
def seed_demo_command(responses: int, seed: int, without_review: bool) -> None:
    """Create the demo "School Resource Officer Program Review" consultation (slug sro-review) and the demo
    program review (slug sro-program-review) with its five streams."""
    from engage.services.demo import seed_demo, seed_demo_report

    consultation, added = seed_demo(responses=responses, seed=seed)
    db.session.commit()
    if added:
        click.echo(f"Created demo consultation '{consultation.slug}' with {added} made-up responses.")
    else:
        click.echo(f"Demo consultation '{consultation.slug}' already exists.")
    version = seed_demo_report(consultation)
    db.session.commit()
    if version is not None:
        click.echo(f"Published an example What We Heard report at /c/{consultation.slug}/report.")
    if not without_review:
        _seed_demo_review(seed)
    search_index.catch_up()  # index the demo comments now rather than at the first search
    db.session.commit()


def _seed_demo_review(seed: int) -> None:
    """The demo program review (sro-program-review): five streams, 2,898 made-up people, a published report."""
    import time

    from engage.services.demo_review import publish_demo_review, seed_demo_review

    started = time.perf_counter()
    review, created = seed_demo_review(seed=seed + 877)
    db.session.commit()
    if not created:
        click.echo(f"Demo program review '{review.slug}' already exists.")
        return
    version = publish_demo_review(review)
    db.session.commit()
    click.echo(f"Created demo program review '{review.slug}' with its overall report (version {version}) at "
               f"/reviews/{review.slug}/report in {time.perf_counter() - started:.1f} s.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, help="admin, facilitator, reviewer or publisher; repeatable.")
@click.option("--name", default="", help="The person's name, shown to other staff.")
@click.option("--password", envvar="ENGAGE_NEW_PASSWORD", default=None,
              help="Set a password now (or ENGAGE_NEW_PASSWORD). Without one, an invitation link is printed.")
@with_appcontext
def create_user_command(email: str, roles: tuple[str, ...], name: str, password: str | None) -> None:
    """Create a staff user, e.g. flask --app engage create-user ana@example.org --role reviewer."""
    from flask import url_for

    from engage.services import accounts
    from engage.services.audit import record_event

    try:
        user = accounts.create_user(email=email, roles=list(roles), name=name, password=password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    record_event(actor=None, action="create_user", target_type="user", target_id=user.id, details={"roles": sorted(roles)})
    token = None if password else accounts.invite_user(user=user)
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}.")
    if token:
        with current_app.test_request_context():
            path = url_for("auth.accept_invite", token=token)
        click.echo(f"They can choose a password at this one-time link (valid 7 days): {path}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and cron).")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker for analysis runs and assisted-coding training (needs REDIS_URL; the same DATABASE_URL as
    the web app)."""
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("Set REDIS_URL to use a worker. Without Redis, these jobs run on a thread in the web app.")
    connection = Redis.from_url(url)
    Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


def init_app(app) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(import_command)
    app.cli.add_command(report_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(purge_command)

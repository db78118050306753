"""Entry points for RQ workers: each builds the app and runs one service function under its context."""

QUEUE_NAME = "engage"


def execute_run_job(run_id: int) -> None:
    from engage import create_app
    from engage.services.analysis_runs import execute_run

    app = create_app()
    with app.app_context():
        execute_run(run_id=run_id)


def train_assisted_coding_job(consultation_id: int, user_id: int | None, queued_event_id: int | None = None) -> None:
    from engage import create_app
    from engage.services.coding import train_assisted_coding

    app = create_app()
    with app.app_context():
        train_assisted_coding(consultation_id=consultation_id, user_id=user_id, queued_event_id=queued_event_id)

"""Entry points for RQ workers: each builds the app and runs one service function under its context."""

QUEUE_NAME = "engage"


def execute_run_job(run_id: int) -> None:
    from engage import create_app
    from engage.services.analysis_runs import execute_run

    app = create_app()
    with app.app_context():
        execute_run(run_id=run_id)

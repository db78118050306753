"""Running Engage in production: health checks, backups, retention purges and the gunicorn launcher."""

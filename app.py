"""Entry point: `flask` (and gunicorn, as `app:app`) find the academy here."""

from academy import create_app

app = create_app()

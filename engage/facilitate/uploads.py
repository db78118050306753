"""Uploaded files kept between the steps of an import (map, preview, import), then deleted.

They sit in the instance folder, readable by the app only, under a random token; anything older than a few
hours is swept away on the next upload, so abandoned imports do not keep participants' words on disk.
"""
import os
import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app
from werkzeug.utils import secure_filename

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_MAX_AGE_SECONDS = 6 * 3600


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "import_uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def save_upload(data: bytes, filename: str) -> str:
    """Keep an uploaded file under a new random token; return the token."""
    folder = _folder()
    for old in folder.iterdir():
        if time.time() - old.stat().st_mtime > _MAX_AGE_SECONDS:
            discard_upload(old.name)
    token = secrets.token_urlsafe(24)
    path = folder / token
    path.mkdir(mode=0o700)
    name = secure_filename(filename) or "upload"
    descriptor = os.open(path / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return token


def load_upload(token: str) -> tuple[bytes, str]:
    """(data, filename) for a token, or 404 when it is unknown or expired."""
    path = _folder() / token if _TOKEN.match(token) else None
    files = list(path.iterdir()) if path and path.is_dir() else []
    if not files:
        abort(404)
    return files[0].read_bytes(), files[0].name


def discard_upload(token: str) -> None:
    path = _folder() / token
    if _TOKEN.match(token) and path.is_dir():
        for file in path.iterdir():
            file.unlink()
        path.rmdir()

"""The app's catalogue: read once at start; in debug mode re-read when a file changes."""

import threading
import time
from pathlib import Path

from flask import Flask, abort, current_app

from .loader import Catalogue, Module, read_catalogue, signature

RELOAD_CHECK_SECONDS = 1.0
_read_once: dict[tuple, Catalogue] = {}  # apps in one process (tests, CLI) share an unchanged catalogue


def read_cached(root: Path) -> Catalogue:
    key = (str(root.resolve()), signature(root))
    if key not in _read_once:
        _read_once.clear()
        _read_once[key] = read_catalogue(root)
    return _read_once[key]


class CatalogueStore:
    def __init__(self, root: Path, watch: bool):
        self.root = root
        self.watch = watch
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self.catalogue = read_cached(root)

    def current(self) -> Catalogue:
        if self.watch and time.monotonic() - self._checked_at > RELOAD_CHECK_SECONDS:
            self._reload_if_changed()
        return self.catalogue

    def _reload_if_changed(self) -> None:
        with self._lock:
            self._checked_at = time.monotonic()
            if signature(self.root) != self.catalogue.signature:
                self.catalogue = read_catalogue(self.root, previous=self.catalogue)


def catalogue() -> Catalogue:
    return current_app.extensions["academy.catalogue"].current()


def module_or_404(module_id: str) -> Module:
    module = catalogue().get(module_id)
    if module is None:
        abort(404, description="There is no module with that name in the curriculum.")
    return module


def init_app(app: Flask) -> None:
    watch = bool(app.debug or app.config.get("CURRICULUM_WATCH"))
    app.extensions["academy.catalogue"] = CatalogueStore(Path(app.config["CURRICULUM_DIR"]), watch)
    app.jinja_env.globals["catalogue"] = catalogue

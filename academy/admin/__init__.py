"""Administration: people, cohorts, imports, provisioning tokens and the audit log."""

from . import provisioning  # noqa: F401  (its routes join the blueprint)
from .views import bp

__all__ = ["bp"]

"""Administration: people, cohorts, imports and the audit log."""

from .views import bp

__all__ = ["bp"]

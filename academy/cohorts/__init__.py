"""Managers' cohort pages."""

from .views import bp

__all__ = ["bp"]

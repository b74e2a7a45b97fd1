"""Mentor sign-off: the review queue and the mentor's trainees."""

from .views import bp

__all__ = ["bp"]

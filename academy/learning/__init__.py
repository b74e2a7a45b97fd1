"""The trainee's journey: learning path and progress."""

from .views import bp

__all__ = ["bp"]

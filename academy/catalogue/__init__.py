"""The catalogue pages: tracks, their modules and a module's content."""

from .views import bp

__all__ = ["bp"]

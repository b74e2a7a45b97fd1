"""A graduate's credential: a public page at an unguessable address and an Open Badges 3.0 credential signed as a
VC-JWT with the installation's own key; readiness issues it (services.issue_credential), an admin may revoke it."""

from .views import bp

__all__ = ["bp"]

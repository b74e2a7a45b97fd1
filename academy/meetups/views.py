"""Meetup pages."""

from flask import Blueprint

bp = Blueprint("meetups", __name__)

"""Calendars: each meetup as an .ics file, and a person's calendar feed (its secret address, made and revoked)."""

from flask import Blueprint

bp = Blueprint("meetup_calendar", __name__)

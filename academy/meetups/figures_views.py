"""The meetup's figures, drawn as charts on a page everyone signed in can see."""

from flask import Blueprint

bp = Blueprint("meetup_figures", __name__)

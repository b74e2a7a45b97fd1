"""The Reliability Meetup: monthly talks, the call for talks, attendance, calendars and the figures."""

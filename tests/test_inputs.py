"""The e-mail check shared by the CSV import and the administrator's user form: length first, then a shape
check without a regular expression, so that no crafted value makes it backtrack."""

import time

import pytest

from academy import inputs

# The old pattern ^[^@\s]+@[^@\s]+\.[^@\s]+$ backtracked over every dot: 4 s for this cell (9 s in the form).
CRAFTED_EMAIL = "a@" + "." * 24000 + "@"


def shapes_checked(monkeypatch) -> list[str]:
    """Every value that reaches the shape check from now on (the check itself still runs)."""
    seen, real = [], inputs.shaped_like_email
    monkeypatch.setattr(inputs, "shaped_like_email", lambda value: seen.append(value) or real(value))
    return seen


@pytest.mark.parametrize(
    "value",
    ["a@b.c", "first.last+tag@mail.example.com", "x@a.b.c", "o'brien@example.co.uk", "a" * 242 + "@example.com"],
)
def test_addresses_of_the_usual_shape_pass(value):
    assert inputs.is_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-an-email",
        "@example.com",
        "a@",
        "a@example",
        "a@.com",
        "a@example.",
        "a@b@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "a@example.com\n",
        "a\t@example.com",
        "a\u00a0@example.com",
        "a" * 243 + "@example.com",  # 255 characters
        CRAFTED_EMAIL,
    ],
)
def test_anything_else_is_refused(value):
    assert not inputs.is_email(value)


def test_the_length_is_checked_before_the_shape(monkeypatch):
    seen = shapes_checked(monkeypatch)
    assert not inputs.is_email(CRAFTED_EMAIL)
    assert not inputs.is_email("a" * 243 + "@example.com")
    assert inputs.is_email("a" * 242 + "@example.com")
    assert [len(v) for v in seen] == [254]


def test_the_shape_check_is_linear_in_the_length_of_the_value():
    """Loosely timed on purpose: a megabyte of the crafted shape, which the old pattern would take hours on."""
    started = time.perf_counter()
    assert not inputs.shaped_like_email("a@" + "." * 1_000_000 + "@")
    assert time.perf_counter() - started < 2


def test_ticked_indexes_are_digits_or_the_request_is_refused(app):
    from werkzeug.exceptions import UnprocessableEntity

    from academy.inputs import ticked_or_422

    assert ticked_or_422(["0", "2"], "criteria") == [0, 2]
    for junk in (["1", "x"], ["-1"], ["1" * 12], ["0"] * 51):
        with pytest.raises(UnprocessableEntity, match="The ticked criteria are not ones of this form"):
            ticked_or_422(junk, "criteria")

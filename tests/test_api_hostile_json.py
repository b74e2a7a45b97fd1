"""JSON bodies nested far deeper than any request of the API needs: a 400 or 422 in the API's error shape,
never a 500 from the parser's recursion, and nothing stored."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.models import Decision, LabAttempt
from tests.test_api import LAB, api, submission, token_for  # noqa: F401  (fixtures)


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


def bodies(depth: int) -> list[str]:
    return [
        nested(depth),
        '{"evidence": ' + nested(depth) + "}",
        '{"outcome": "approved", "criteria": ' + nested(depth) + "}",
    ]


def stored(db_session) -> tuple[int, int]:
    db_session.rollback()
    return tuple(db_session.exec(select(func.count()).select_from(t)).one() for t in (LabAttempt, Decision))


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_refused_in_the_api_shape(api, people, academy, db_session, depth):  # noqa: F811
    attempt = submission(people, academy.trainee)
    before = stored(db_session)
    targets = [("trainee", f"/labs/{LAB}/attempts"), ("mentor", f"/reviews/{attempt.id}/decision")]
    for who, path in targets:
        for body in bodies(depth):
            response = api(who, "post", path, data=body, content_type="application/json")
            assert response.status_code in (400, 422), (path, body[:40], response.status_code)
            assert set(response.get_json()) == {"error", "detail"}
    assert stored(db_session) == before

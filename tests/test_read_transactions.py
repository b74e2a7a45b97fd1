"""A GET reads on a connection that cannot write, unless it says first that it will, without a transaction around
its statements: on PostgreSQL the connection so keeps its prepared statements, and the session check is planned
once."""

import time

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from academy import db
from academy.models import Notification
from tests.conftest import client_of


def note(user_id: int, message: str) -> Notification:
    return Notification(user_id=user_id, message=message, link="/learn")


def notes(people, message: str) -> int:
    with people.session() as s:
        return s.exec(select(func.count()).select_from(Notification).where(Notification.message == message)).one()


def try_to_write_in_a_get(app, user_id: int) -> None:
    with app.test_request_context("/search", method="GET"):
        s = db.session()
        s.add(note(user_id, "written by a GET"))
        with pytest.raises(DBAPIError, match="(?i)read-?only"):
            s.flush()


def test_a_get_cannot_write_through_the_requests_session(app, academy, people):
    try_to_write_in_a_get(app, academy.trainee.id)
    assert notes(people, "written by a GET") == 0


def test_a_get_that_says_it_will_write_can_after_what_it_read(app, academy, people):
    with app.test_request_context("/login/oidc/callback", method="GET"):
        assert db.session().exec(select(func.count()).select_from(Notification)).one() == 0
        db.will_write()
        s = db.session()
        s.add(note(academy.trainee.id, "written after will_write"))
        s.commit()
    assert notes(people, "written after will_write") == 1


def test_gets_and_posts_on_the_same_connections_read_and_write_as_their_method_says(app, academy, people):
    for _ in range(3):  # the pool hands the GET's connection to the POST, and back
        with app.test_request_context("/search", method="GET"):
            db.session().exec(select(func.count()).select_from(Notification)).one()
        with app.test_request_context("/notifications/read", method="POST"):
            s = db.session()
            s.add(note(academy.trainee.id, "written by a POST"))
            s.commit()
        try_to_write_in_a_get(app, academy.trainee.id)
    assert notes(people, "written by a POST") == 3
    assert notes(people, "written by a GET") == 0


def test_a_gets_statements_run_without_a_transaction_around_them(app, academy):
    with app.test_request_context("/search", method="GET"):
        s = db.session()
        assert s.exec(select(func.count()).select_from(Notification)).one() == 0
        driver = s.connection().connection.dbapi_connection
        if app.extensions["academy.engine"].dialect.name == "sqlite":
            assert not driver.in_transaction, "a GET began a transaction (BEGIN ... ROLLBACK around its reads)"
        else:
            first = s.execute(text("SELECT now()")).scalar_one()
            time.sleep(0.01)
            second = s.execute(text("SELECT now()")).scalar_one()
            # now() is the start of the transaction: inside one (BEGIN ... ROLLBACK), both would be the same time
            assert second > first


def test_the_session_check_is_prepared_and_planned_once_on_postgresql(app, academy):
    if app.extensions["academy.engine"].dialect.name != "postgresql":
        pytest.skip("prepared statements and plans are PostgreSQL's (this test runs in the PostgreSQL pass of CI)")
    client = client_of(app, academy.trainee)
    for _ in range(40):  # psycopg prepares a statement at its fifth run; the server keeps a plan after five more
        assert client.get("/search").status_code == 200
    with app.test_request_context("/search", method="GET"):
        plans = (
            db.session()
            .connection()
            .execute(
                text(
                    "SELECT generic_plans, custom_plans, parameter_types::text[] FROM pg_prepared_statements"
                    " WHERE statement LIKE :start"
                ),
                {"start": 'SELECT "user".id, "user".email%'},
            )
            .all()
        )
    assert plans, "the session check is not prepared: the reads of a request end in ROLLBACK again, which forgets it"
    assert all(generic > custom for generic, custom, _ in plans), f"planned on every request: {plans}"
    # only the reader and the day vary: with the constants as parameters too, the server planned it every time
    # on a larger academy (one plan no longer fits every value it might be given)
    assert all(len(types) == 2 for _, _, types in plans), plans

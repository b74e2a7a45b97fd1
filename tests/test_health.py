"""/healthz while the process runs; /readyz only when the database answers, holds the schema, and the curriculum is
loaded."""

import pytest

from tests.conftest import make_app


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": True, "schema": True, "curriculum": True},
    }


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/academy.db",
        "postgresql+psycopg://postgres@127.0.0.1:1/academy",
    ],
)
def test_readyz_is_503_when_the_database_is_unreachable(url):
    app = make_app(url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": False, "schema": False, "curriculum": True},
    }
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_is_503_without_a_curriculum(migrated, tmp_path):
    app = make_app(migrated, CURRICULUM_DIR=str(tmp_path))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": True, "schema": True, "curriculum": False}

"""A person's team on their account page (issue 19): saved with its spacing tidied, refused when too long with
what was typed kept, cleared when blank."""

from sqlmodel import Session

from academy.models import User
from tests.conftest import sign_in


def team_of(app, user_id: int) -> str | None:
    with Session(app.extensions["academy.engine"]) as s:
        return s.get(User, user_id).team


def signed_in(app, people):
    user = people.user("dev@example.com", "trainee")
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client, user


def test_the_account_page_asks_for_the_team_and_says_why(app, people):
    client, _ = signed_in(app, people)
    html = client.get("/account").get_data(as_text=True)
    assert 'id="team"' in html and 'name="team"' in html
    assert "Your team, such as Payments or Customer support: the meetup’s figures count the teams it reaches" in html


def test_saving_a_team_tidies_its_spacing_and_shows_it(app, people):
    client, user = signed_in(app, people)
    saved = client.post("/account/team", data={"team": "  Customer   support "})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/account#team")
    assert team_of(app, user.id) == "Customer support"
    assert 'value="Customer support"' in client.get("/account").get_data(as_text=True)


def test_too_long_a_team_is_refused_and_what_was_typed_stays(app, people):
    client, user = signed_in(app, people)
    client.post("/account/team", data={"team": "Payments"})
    typed = "Reliability " + "x" * 120
    refused = client.post("/account/team", data={"team": typed})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Keep your team to at most 120 characters: this one has 132." in html and 'aria-invalid="true"' in html
    assert f'value="{typed}"' in html
    assert team_of(app, user.id) == "Payments"  # unchanged
    assert client.post("/account/team", data={"team": "y" * 120}).status_code == 302  # 120 is not too long
    assert team_of(app, user.id) == "y" * 120


def test_a_blank_team_clears_it(app, people):
    client, user = signed_in(app, people)
    client.post("/account/team", data={"team": "Payments"})
    assert client.post("/account/team", data={"team": "   "}).status_code == 302
    assert team_of(app, user.id) is None

"""The pain-point surveys' API (issue 20): the rounds a person answers or runs, a round, the caller's own answers
(read and replaced; wrong scores 422, a closed round 409, someone not asked 403, and nothing changed by a refusal),
and the results for those who run the round, which keep the anonymity rule and never name anyone in an anonymous
round. Answers sent through the API are the ones the results page shows."""

from datetime import timedelta

import pytest
from sqlmodel import select

from academy.curriculum.store import catalogue
from academy.models import PainPoint, PainScore, SurveyRespondent, SurveyRound, User, utcnow
from academy.surveys import services
from tests.test_surveys import SEED, TOIL, answer, open_round, point_ids
from tests.test_surveys import close as close_now


@pytest.fixture
def token(app, people):
    """token(user) -> a fresh API token of that person; scope "write" unless told."""
    from academy.api.tokens import create_token

    def make(user, scope: str = "write") -> str:
        with app.test_request_context(), people.session() as s:
            made, _ = create_token(s, user=s.get(User, user.id), name=f"surveys {scope}", scope=scope)
            s.commit()
        return made

    return make


@pytest.fixture
def api(client, token):
    """api(user, "get", path) -> the answer; user None sends no token."""

    def call(user, method: str, path: str, scope: str = "write", **kwargs):
        headers = {"Authorization": f"Bearer {token(user, scope)}"} if user else {}
        return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    return call


@pytest.fixture
def ten(people):
    return [people.user(f"sre{i}@example.com", "mentor", name=f"Sre Person {i}") for i in range(10)]


def stored(db_session, round_) -> tuple:
    """Everything a refused write must leave as it was: the round's cells and who answered when."""
    db_session.rollback()  # a fresh read, not what this session saw before
    cells = db_session.exec(
        select(PainScore).join(PainPoint).where(PainPoint.round_id == round_.id).order_by(PainScore.pain_point_id)
    ).all()
    answered = db_session.exec(select(SurveyRespondent).where(SurveyRespondent.round_id == round_.id)).all()
    return (
        [(c.pain_point_id, c.respondent_id, c.pain, c.pain_unknown, c.effort, c.effort_unknown) for c in cells],
        sorted((a.user_id, a.answered_at) for a in answered),
    )


def sheet(ids, pains, efforts=None) -> dict:
    efforts = efforts or [None] * len(pains)
    return {"answers": [{"pain_point_id": i, "pain": p, "effort": e} for i, p, e in zip(ids, pains, efforts)]}


def close(db_session, round_, *, early: bool = True):
    found = db_session.get(SurveyRound, round_.id)
    if early:
        found.closed_at = utcnow()
    else:
        found.closes_on = found.closes_on - timedelta(days=30)
    db_session.add(found)
    db_session.commit()


# ------------------------------------------------------------------ the document


def test_the_document_has_the_survey_operations_and_one_shape_for_a_score(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = {(m, p): op for p, methods in spec["paths"].items() for m, op in methods.items() if "/surveys" in p}
    assert {route: op["operationId"] for route, op in ops.items()} == {
        ("get", "/api/v1/surveys"): "listSurveys",
        ("get", "/api/v1/surveys/{round_id}"): "getSurvey",
        ("get", "/api/v1/surveys/{round_id}/answers"): "getMySurveyAnswers",
        ("put", "/api/v1/surveys/{round_id}/answers"): "saveMySurveyAnswers",
        ("get", "/api/v1/surveys/{round_id}/results"): "getSurveyResults",
    }
    assert all(op["tags"] == ["surveys"] for op in ops.values())
    assert "409" in ops["put", "/api/v1/surveys/{round_id}/answers"]["responses"]
    pain = spec["components"]["schemas"]["AnswerIn"]["properties"]["pain"]
    assert [branch["type"] for branch in pain["anyOf"]] == ["integer", "string", "null"]
    assert pain["anyOf"][1]["const"] == "?" and "don't know" in pain["description"]


# ------------------------------------------------------------------ rounds


def test_the_list_has_the_rounds_to_answer_and_for_managers_those_they_run(app, people, academy, api):
    round_ = open_round(app, people, academy.manager, [academy.trainee, academy.mentor], anonymous=False)
    mine = api(academy.trainee, "get", "/surveys").get_json()
    (line,) = mine["to_answer"]
    assert (line["id"], line["title"], line["open"], line["answered"], line["answered_at"]) == (
        round_.id,
        "Pains",
        True,
        False,
        None,
    )
    assert mine["run"] == [] and "asked" not in line  # a respondent is not told who else answered
    answer(app, people, round_, academy.trainee, [50] * 5)
    (line,) = api(academy.trainee, "get", "/surveys").get_json()["to_answer"]
    assert line["answered"] is True and line["answered_at"]
    for runner in (academy.manager, academy.admin):
        body = api(runner, "get", "/surveys").get_json()
        assert body["to_answer"] == []
        assert [(r["id"], r["asked"], r["answered"], r["open"]) for r in body["run"]] == [(round_.id, 2, 1, True)]
    for outsider in (academy.other_manager, academy.outsider):
        assert api(outsider, "get", "/surveys").get_json() == {"to_answer": [], "run": []}
    assert api(None, "get", "/surveys").status_code == 401


def test_a_closed_round_is_listed_as_closed(app, people, academy, api, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee])
    close(db_session, round_, early=False)
    (line,) = api(academy.trainee, "get", "/surveys").get_json()["to_answer"]
    assert line["open"] is False
    (line,) = api(academy.manager, "get", "/surveys").get_json()["run"]
    assert line["open"] is False


def test_a_round_and_its_pain_points_for_respondents_and_those_who_run_it(app, people, academy, api):
    round_ = open_round(app, people, academy.manager, [academy.trainee])
    mine = api(academy.trainee, "get", f"/surveys/{round_.id}")
    assert mine.status_code == 200
    body = mine.get_json()
    assert [p["title"] for p in body["points"]] == SEED and [p["position"] for p in body["points"]] == [1, 2, 3, 4, 5]
    assert [p["id"] for p in body["points"]] == point_ids(people, round_)
    assert (body["asked_to_answer"], body["runs_it"], body["anonymous"], body["asks_effort"]) == (
        True,
        False,
        True,
        True,
    )
    run = api(academy.manager, "get", f"/surveys/{round_.id}").get_json()
    assert (run["asked_to_answer"], run["runs_it"]) == (False, True)
    assert api(academy.admin, "get", f"/surveys/{round_.id}").get_json()["runs_it"] is True


@pytest.mark.parametrize("who", ["trainee2", "outsider", "mentor", "other_manager"])
def test_anyone_else_is_refused_a_round(app, people, academy, api, who):
    round_ = open_round(app, people, academy.manager, [academy.trainee])
    for path in ("", "/answers", "/results"):
        response = api(getattr(academy, who), "get", f"/surveys/{round_.id}{path}")
        assert response.status_code == 403, path
        assert set(response.get_json()) == {"error", "detail"} and "Too much toil" not in response.get_data(
            as_text=True
        )


def test_an_unknown_round_is_not_found_and_nobody_signed_in_is_asked_to(app, people, academy, api):
    round_ = open_round(app, people, academy.manager, [academy.trainee])
    for path in ("", "/answers", "/results"):
        assert api(academy.admin, "get", f"/surveys/999999{path}").status_code == 404
        assert api(None, "get", f"/surveys/{round_.id}{path}").status_code == 401
    assert api(academy.trainee, "put", "/surveys/999999/answers", json={"answers": []}).status_code == 404


# ------------------------------------------------------------------ the caller's answers


def test_a_respondent_reads_a_blank_sheet_then_saves_and_changes_it(app, people, academy, api, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:3])
    ids = point_ids(people, round_)
    blank = api(academy.trainee, "get", f"/surveys/{round_.id}/answers").get_json()
    assert blank["answered_at"] is None and blank["open"] is True
    assert blank["answers"] == [{"pain_point_id": i, "pain": None, "effort": None} for i in ids]
    body = {"answers": [{"pain_point_id": ids[0], "pain": 70, "effort": "?"}, {"pain_point_id": ids[1], "pain": "?"}]}
    saved = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=body)
    assert saved.status_code == 200
    expected = [(ids[0], 70, "?"), (ids[1], "?", None), (ids[2], None, None)]  # the one left out is blank
    assert [(a["pain_point_id"], a["pain"], a["effort"]) for a in saved.get_json()["answers"]] == expected
    assert saved.get_json()["answered_at"]
    again = api(academy.trainee, "get", f"/surveys/{round_.id}/answers").get_json()
    assert again["answers"] == saved.get_json()["answers"]
    cells, _ = stored(db_session, round_)
    assert cells[0][2:] == (70, False, None, True) and cells[1][2:] == (None, True, None, False)
    # the whole sheet is replaced: what is left out now is blank now
    changed = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=sheet(ids[2:], [0], [100]))
    assert [(a["pain"], a["effort"]) for a in changed.get_json()["answers"]] == [(None, None), (None, None), (0, 100)]


WRONG = [
    ({"pain": 101}, "answers.0.pain"),
    ({"pain": -1}, "answers.0.pain"),
    ({"pain": 70.5}, "answers.0.pain"),
    ({"pain": 70.0}, "answers.0.pain"),
    ({"pain": "70"}, "answers.0.pain"),
    ({"pain": True}, "answers.0.pain"),
    ({"pain": "don't know"}, "answers.0.pain"),
    ({"effort": 1000}, "answers.0.effort"),
    ({"effort": [50]}, "answers.0.effort"),
    ({"pain": 50, "comment": "x"}, "answers.0.comment"),
]


@pytest.mark.parametrize(("cell", "field"), WRONG, ids=[str(c) for c, _ in WRONG])
def test_a_score_out_of_range_or_not_whole_is_a_422_naming_the_cell_and_changes_nothing(
    app, people, academy, api, db_session, cell, field
):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2])
    ids = point_ids(people, round_)
    assert api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [40, 60])).status_code == 200
    before = stored(db_session, round_)
    body = {"answers": [{"pain_point_id": ids[0], **cell}, {"pain_point_id": ids[1], "pain": 99}]}
    response = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=body)
    assert response.status_code == 422
    refused = response.get_json()
    assert set(refused) == {"error", "detail"} and field in [p["field"] for p in refused["detail"]]
    assert stored(db_session, round_) == before


def test_a_sheet_that_does_not_fit_the_round_is_a_422_and_changes_nothing(app, people, academy, api, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2], asks_effort=False)
    other = open_round(app, people, academy.manager, [academy.trainee], points=["Elsewhere"])
    ids, (elsewhere,) = point_ids(people, round_), point_ids(people, other)
    before = stored(db_session, round_)
    bodies = {
        "answers.1.pain_point_id": sheet([ids[0], ids[0]], [10, 20]),  # twice
        "answers.0.pain_point_id": sheet([elsewhere], [10]),  # another round's
        "answers.0.effort": sheet([ids[0]], [10], [20]),  # this round asks no effort
        "answers": {"answers": [{"pain_point_id": i, "pain": 1} for i in range(1, 30)]},  # more than a round has
    }
    for field, body in bodies.items():
        response = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=body)
        assert response.status_code == 422, field
        assert field in [p["field"] for p in response.get_json()["detail"]], response.get_json()
    for body in ({}, {"answers": "all 50"}, [1, 2]):
        assert api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=body).status_code == 422
    assert stored(db_session, round_) == before


def test_a_sheet_without_a_single_score_is_a_422_and_changes_nothing(app, people, academy, api, db_session):
    """Blanks and "don't know" alone would count the caller towards an anonymous round's threshold, saying nothing."""
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2])
    ids = point_ids(people, round_)
    before = stored(db_session, round_)
    for body in (sheet(ids, [None, "?"], ["?", None]), {"answers": []}):
        response = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=body)
        assert response.status_code == 422 and "at least one score" in response.get_json()["detail"]
    assert stored(db_session, round_) == before


@pytest.mark.parametrize("early", [True, False], ids=["closed early", "past its closing day"])
def test_a_closed_round_takes_no_answers_409_and_keeps_the_saved_ones(app, people, academy, api, db_session, early):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2])
    ids = point_ids(people, round_)
    api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [40, 60]))
    close(db_session, round_, early=early)
    before = stored(db_session, round_)
    response = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [90, 90]))
    assert response.status_code == 409
    assert set(response.get_json()) == {"error", "detail"} and "closed" in response.get_json()["detail"]
    assert stored(db_session, round_) == before
    mine = api(academy.trainee, "get", f"/surveys/{round_.id}/answers").get_json()
    assert mine["open"] is False and [a["pain"] for a in mine["answers"]] == [40, 60]


@pytest.mark.parametrize("who", ["manager", "admin", "trainee2", "outsider"])
def test_someone_not_asked_may_not_answer_even_who_runs_the_round(app, people, academy, api, db_session, who):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2])
    ids = point_ids(people, round_)
    before = stored(db_session, round_)
    response = api(getattr(academy, who), "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [40, 60]))
    assert response.status_code == 403
    assert response.get_json()["detail"] == "You were not asked to answer this round."
    assert api(getattr(academy, who), "get", f"/surveys/{round_.id}/answers").status_code == 403
    assert stored(db_session, round_) == before


def test_a_read_only_token_reads_but_does_not_answer(app, people, academy, api, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=SEED[:2])
    ids = point_ids(people, round_)
    assert api(academy.trainee, "get", f"/surveys/{round_.id}/answers", scope="read").status_code == 200
    before = stored(db_session, round_)
    response = api(academy.trainee, "put", f"/surveys/{round_.id}/answers", scope="read", json=sheet(ids, [1, 2]))
    assert response.status_code == 403 and "only read" in response.get_json()["detail"]
    assert stored(db_session, round_) == before


def test_a_lab_token_reaches_no_survey_endpoint(app, people, academy, api, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee, academy.admin], points=SEED[:2])
    ids = point_ids(people, round_)
    before = stored(db_session, round_)
    for who in (academy.trainee, academy.admin):
        for method, path in [
            ("get", "/surveys"),
            ("get", f"/surveys/{round_.id}"),
            ("get", f"/surveys/{round_.id}/answers"),
            ("put", f"/surveys/{round_.id}/answers"),
            ("get", f"/surveys/{round_.id}/results"),
        ]:
            response = api(who, method, path, scope="lab", json=sheet(ids, [1, 2]) if method == "put" else None)
            assert response.status_code == 403 and "academy-lab" in response.get_json()["detail"], (who, path)
    assert stored(db_session, round_) == before


# ------------------------------------------------------------------ results


def test_results_are_only_for_those_who_run_the_round(app, people, academy, api):
    round_ = open_round(app, people, academy.manager, [academy.trainee, academy.mentor], anonymous=False)
    answer(app, people, round_, academy.trainee, [50] * 5)
    for runner in (academy.manager, academy.admin):
        assert api(runner, "get", f"/surveys/{round_.id}/results").status_code == 200
    for other in (academy.trainee, academy.mentor, academy.other_manager):  # answering it is not running it
        response = api(other, "get", f"/surveys/{round_.id}/results")
        assert response.status_code == 403 and "rows" not in response.get_json()


def test_the_seed_sheets_row_averages_71_1_over_9_answers_sent_through_the_api(app, people, academy, api, ten):
    round_ = open_round(
        app, people, academy.manager, ten, points=["Too much toil", "Too many alerts"], asks_effort=False
    )
    ids = point_ids(people, round_)
    for person, score in zip(ten, TOIL, strict=True):
        assert api(person, "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [score, 90])).status_code == 200
    body = api(academy.manager, "get", f"/surveys/{round_.id}/results").get_json()
    assert (body["cells_shown"], body["columns"], body["rows"][0]["cells"]) == (False, [], [])  # open, anonymous
    close_now(app, people, round_, academy.manager)
    body = api(academy.manager, "get", f"/surveys/{round_.id}/results").get_json()
    assert (body["asked"], body["answered"], body["hidden"], len(body["columns"])) == (10, 10, False, 10)
    row = next(r for r in body["rows"] if r["point"]["title"] == "Too much toil")
    assert row["pain"]["answered"] == 9 and round(row["pain"]["average"], 1) == 71.1
    assert row["effort"] is None and row["priority"] is None
    assert sorted(c["pain"] for c in row["cells"] if c["pain"] is not None) == sorted(s for s in TOIL if s is not None)


def test_named_results_have_cells_averages_priority_order_and_struck_status(app, people, academy, api, ten):
    points = ["Too much toil", "Out of the loop", "Too many alerts"]
    round_ = open_round(app, people, academy.manager, ten[:3], points=points, anonymous=False)
    ids = point_ids(people, round_)
    # toil: pain 70 / effort 35 = 2.0; loop: 30 / 10 = 3.0; alerts: 90 / 0 = free to fix, first
    api(ten[0], "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [70, 30, 90], [35, "?", 0]))
    api(ten[1], "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [70, 30, "?"], [35, 10, 0]))
    api(ten[2], "put", f"/surveys/{round_.id}/answers", json=sheet(ids[:2], [None, 30], [35, 10]))
    with app.test_request_context(), people.session() as s:
        toil = s.get(PainPoint, ids[0])
        services.strike(
            s, catalogue(), point=toil, by=s.get(User, academy.manager.id), addressed_by="module", what="toil"
        )
        s.commit()
    body = api(academy.manager, "get", f"/surveys/{round_.id}/results").get_json()
    assert body["columns"] == sorted(p.display_name for p in ten[:3])
    assert [r["point"]["title"] for r in body["rows"]] == ["Too many alerts", "Out of the loop", "Too much toil"]
    alerts, loop, toil = body["rows"]
    assert (alerts["priority"], alerts["priority_infinite"]) == (None, True)
    assert alerts["pain"] == {"average": 90, "answered": 1} and alerts["effort"] == {"average": 0, "answered": 2}
    assert (loop["priority"], loop["priority_infinite"]) == (3.0, False) and loop["effort"]["answered"] == 2
    assert toil["priority"] == 2.0 and toil["pain"] == {"average": 70, "answered": 2}
    by_name = dict(zip(body["columns"], toil["cells"], strict=True))
    assert by_name[ten[2].display_name] == {"pain": None, "effort": 35}
    assert {"pain": "?", "effort": 0} in alerts["cells"]
    assert toil["struck"]["addressed_by"] == "module" and toil["struck"]["what"] == "toil"
    assert alerts["struck"] is None and all(r["on_checklist"] for r in body["rows"])
    assert (body["checklist_struck"], body["checklist_size"]) == (1, 3)


def test_an_anonymous_round_answers_hidden_below_three_and_never_names_anyone(app, people, academy, api, ten):
    round_ = open_round(app, people, academy.manager, ten[:4], points=SEED[:2])
    ids = point_ids(people, round_)
    for person, pains in zip(ten[:2], ([50, 60], [70, 80]), strict=True):
        api(person, "put", f"/surveys/{round_.id}/answers", json=sheet(ids, pains, [10, 20]))
    response = api(academy.manager, "get", f"/surveys/{round_.id}/results")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["hidden"], body["rows"], body["columns"], body["answered"], body["asked"]) == (True, [], [], 2, 4)
    assert body["checklist_size"] == 0
    api(ten[2], "put", f"/surveys/{round_.id}/answers", json=sheet(ids, [90, "?"], [30, None]))
    close_now(app, people, round_, academy.manager)
    response = api(academy.admin, "get", f"/surveys/{round_.id}/results")
    body = response.get_json()
    assert body["hidden"] is False and body["columns"] == ["Respondent 1", "Respondent 2", "Respondent 3"]
    assert [r["pain"]["average"] for r in body["rows"]] == [70, 70]
    text = response.get_data(as_text=True)
    assert not any(person.display_name in text or person.email in text for person in ten)
    assert not keys(body) & {"user_id", "respondent_id", "email", "name", "answered_at"}


def keys(node) -> set[str]:
    """Every key of a JSON answer, at any depth."""
    if isinstance(node, list):
        return set().union(*(keys(item) for item in node))
    if isinstance(node, dict):
        return set(node).union(*(keys(value) for value in node.values()))
    return set()


def test_answers_sent_through_the_api_show_on_the_results_page(app, people, academy, api, as_role, ten):
    round_ = open_round(app, people, academy.manager, ten[:2], points=["Too much toil"], anonymous=False)
    (pid,) = point_ids(people, round_)
    api(ten[0], "put", f"/surveys/{round_.id}/answers", json=sheet([pid], [37], [10]))
    api(ten[1], "put", f"/surveys/{round_.id}/answers", json=sheet([pid], ["?"], [30]))
    page = as_role("manager").get(f"/surveys/{round_.id}").get_data(as_text=True)
    assert ten[0].display_name in page and ten[1].display_name in page
    assert "37.0" in page and "20.0" in page and "1.85" in page  # 37 over 1 answer; 20 over 2; 37 / 20
    assert "2 of 2 people have answered" in page

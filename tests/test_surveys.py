"""Pain-point surveys (issue 20): rounds, answers, results as the team's sheet had them (averages over answered
cells, priority = pain / effort), the anonymity threshold, the checklist, trends, and the rules of each."""

import re
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from academy.curriculum.store import catalogue
from academy.local_time import installation_today
from academy.models import AuditEntry, Notification, PainPoint, PainScore, SurveyRespondent, SurveyRound, User
from academy.surveys import queries, services
from academy.surveys.services import Answer, Cell, PointDraft

SEED = [
    "Too much toil",
    "Out of the loop",
    "Too many alerts",
    "Reliability is not taken seriously",
    "We have no SRE vision",
]
# The seed sheet's first row: ten people, one left it blank; 640 / 9 = 71.1
TOIL = [70, 100, 100, 70, None, 80, 40, 50, 50, 80]


def open_round(
    app, people, by, respondents, *, points=SEED, anonymous=True, asks_effort=True, closes_in=14, title="Pains"
):
    with app.test_request_context(), people.session() as s:
        made = services.open_round(
            s,
            catalogue(),
            by=s.get(User, by.id),
            title=title,
            closes_on=today(app) + timedelta(days=closes_in),
            points=[PointDraft(p) for p in points],
            cohort_ids=[],
            emails=[r.email for r in respondents],
            anonymous=anonymous,
            asks_effort=asks_effort,
            today=today(app),
        )
        s.commit()
        return made


def point_ids(people, round_):
    with people.session() as s:
        rows = s.exec(select(PainPoint).where(PainPoint.round_id == round_.id).order_by(PainPoint.position)).all()
        return [p.id for p in rows]


def answer(app, people, round_, who, pains, efforts=None):
    """`pains` per pain point in the round's order: a number, None (blank) or "?" (don't know)."""
    ids = point_ids(people, round_)

    def cell(v):
        return Cell(unknown=True) if v == "?" else Cell(score=v)

    efforts = efforts or [None] * len(pains)
    answers = {pid: Answer(cell(p), cell(e)) for pid, p, e in zip(ids, pains, efforts, strict=False)}
    with app.test_request_context(), people.session() as s:
        services.save_answers(
            s,
            round_=s.get(SurveyRound, round_.id),
            respondent=s.get(User, who.id),
            answers=answers,
            today=today(app),
        )
        s.commit()


def close(app, people, round_, by):
    with app.test_request_context(method="POST"), people.session() as s:
        found = s.get(SurveyRound, round_.id)
        services.close_round(s, round_=found, by=s.get(User, by.id), today=installation_today())
        s.commit()


def results(app, people, round_):
    with app.app_context(), people.session() as s:
        return queries.results(s, s.get(SurveyRound, round_.id), secret="test")


def today(app) -> date:
    with app.app_context():
        return installation_today()


@pytest.fixture
def ten(people):
    return [people.user(f"sre{i}@example.com", "mentor") for i in range(10)]


def test_the_seed_sheets_row_averages_71_1_over_9_answers(app, people, academy, ten):
    round_ = open_round(
        app, people, academy.manager, ten, points=["Too much toil", "Too many alerts"], asks_effort=False
    )
    for person, score in zip(ten, TOIL, strict=True):
        answer(app, people, round_, person, [score, 90])
    found = results(app, people, round_)
    row = next(r for r in found.rows if r.point.title == "Too much toil")
    assert (row.pain.total, row.pain.answered) == (640, 9)
    assert queries.shown(row.pain.value) == "71.1"
    assert found.answered == 10  # the person who left the cell blank answered the round


def test_dont_know_is_left_out_like_a_blank_not_counted_as_zero(app, people, academy, ten):
    points = ["Too many alerts", "Toil"]
    round_ = open_round(app, people, academy.manager, ten[:4], points=points, anonymous=False, asks_effort=False)
    for person, score in zip(ten[:4], [80, "?", None, 40], strict=True):
        answer(app, people, round_, person, [score, 10])
    row = next(r for r in results(app, people, round_).rows if r.point.title == "Too many alerts")
    assert (row.pain.value, row.pain.answered) == (60, 2)
    assert sum(1 for c in row.cells if c and c.pain_unknown) == 1


def test_priority_is_pain_over_effort_and_sorts_the_rows(app, people, academy, ten):
    points = ["Too much toil", "Out of the loop", "Too many alerts"]
    round_ = open_round(app, people, academy.manager, ten[:3], points=points)
    # toil: pain 70 / effort 35 = 2.0; loop: 30 / 10 = 3.0; alerts: 90 / 90 = 1.0
    for person in ten[:3]:
        answer(app, people, round_, person, [70, 30, 90], [35, 10, 90])
    rows = results(app, people, round_).rows
    assert [r.point.title for r in rows] == ["Out of the loop", "Too much toil", "Too many alerts"]
    assert [queries.shown(r.priority, 2) for r in rows] == ["3.00", "2.00", "1.00"]


def test_priority_divides_the_unrounded_averages_as_the_issue_says():
    pain, effort = queries.Average(640, 9), queries.Average(277, 9)  # 71.1 and 30.8
    assert queries.shown(queries.priority(pain, effort), 2) == "2.31"
    assert queries.priority(pain, queries.Average()) is None  # nobody scored the effort
    assert queries.shown(queries.priority(pain, queries.Average(0, 3)), 2) == "∞"


def test_without_effort_scores_rows_sort_by_pain(app, people, academy, ten):
    round_ = open_round(app, people, academy.manager, ten[:3], points=["A", "B", "C"], asks_effort=False)
    for person in ten[:3]:
        answer(app, people, round_, person, [10, None, 90])
    assert [r.point.title for r in results(app, people, round_).rows] == ["C", "A", "B"]  # unanswered last


def test_an_anonymous_round_shows_nothing_until_three_have_answered(app, people, academy, ten):
    round_ = open_round(app, people, academy.manager, ten[:4])
    answer(app, people, round_, ten[0], [50] * 5)
    answer(app, people, round_, ten[1], [60] * 5)
    found = results(app, people, round_)
    assert found.hidden and found.rows == [] and found.checklist == []
    answer(app, people, round_, ten[2], [70] * 5)
    found = results(app, people, round_)
    assert not found.hidden and found.rows[0].pain.value == 60  # averages and counts, now
    assert (found.columns, found.rows[0].cells, found.cells_shown) == ([], [], False)  # but no one's column yet
    close(app, people, round_, academy.manager)
    found = results(app, people, round_)
    assert found.columns == ["Respondent 1", "Respondent 2", "Respondent 3"] and len(found.rows[0].cells) == 3


def test_a_named_round_shows_names_from_the_first_answer(app, people, academy, ten):
    round_ = open_round(app, people, academy.manager, ten[:4], anonymous=False)
    answer(app, people, round_, ten[0], [50] * 5)
    found = results(app, people, round_)
    assert not found.hidden and found.columns == [ten[0].display_name]


def test_anonymous_columns_are_not_in_the_order_of_answering(app, people, academy, ten):
    """The column order is a keyed hash of the person: answering first does not make one Respondent 1."""
    orders = {tuple(queries.column_order(r, [1, 2, 3, 4, 5, 6], "secret")) for r in range(1, 30)}
    assert len(orders) > 5


def test_scores_outside_0_to_100_or_not_whole_are_refused_and_change_nothing(app, people, academy, ten, as_role):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Too much toil"], asks_effort=False)
    (pid,) = point_ids(people, round_)
    client = as_role("trainee")
    for typed, says in (("101", "is not one"), ("70.5", "is not one"), ("-3", "is not one"), ("lots", "is not one")):
        response = client.post(f"/surveys/{round_.id}/answer", data={f"pain-{pid}": typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and says in page and f'value="{typed}"' in page
    response = client.post(f"/surveys/{round_.id}/answer", data={f"pain-{pid}": "50", f"pain-{pid}-unknown": "1"})
    assert response.status_code == 422 and "not both" in response.get_data(as_text=True)
    with people.session() as s:
        assert s.exec(select(PainScore)).all() == []
        assert s.get(SurveyRespondent, (round_.id, academy.trainee.id)).answered_at is None


def test_a_sheet_without_a_single_score_is_refused(app, people, academy, as_role, db_session):
    """Blanks and "don't know" alone would count a person towards the anonymity threshold with nothing said."""
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["A", "B"], asks_effort=False)
    a, b = point_ids(people, round_)
    response = as_role("trainee").post(f"/surveys/{round_.id}/answer", data={f"pain-{a}": "", f"pain-{b}": "?"})
    assert response.status_code == 422 and "at least one score" in response.get_data(as_text=True)
    assert db_session.get(SurveyRespondent, (round_.id, academy.trainee.id)).answered_at is None


def test_a_respondent_answers_then_changes_their_answers(app, people, academy, as_role):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Too much toil"], asks_effort=True)
    (pid,) = point_ids(people, round_)
    client = as_role("trainee")
    assert f"/surveys/{round_.id}/answer" in client.get("/surveys").get_data(as_text=True)
    response = client.post(f"/surveys/{round_.id}/answer", data={f"pain-{pid}": "80", f"effort-{pid}": "?"})
    assert response.status_code == 302
    client.post(f"/surveys/{round_.id}/answer", data={f"pain-{pid}": " 60 ", f"effort-{pid}": "20"})
    with people.session() as s:
        (score,) = s.exec(select(PainScore)).all()
        assert (score.pain, score.effort, score.effort_unknown) == (60, 20, False)
    assert 'value="60"' in client.get(f"/surveys/{round_.id}/answer").get_data(as_text=True)


def test_a_closed_round_takes_no_answers(app, people, academy, as_role, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Too much toil"], asks_effort=False)
    (pid,) = point_ids(people, round_)
    manager = as_role("manager")
    assert manager.post(f"/surveys/{round_.id}/close").status_code == 302
    response = as_role("trainee").post(f"/surveys/{round_.id}/answer", data={f"pain-{pid}": "80"})
    assert response.status_code == 409 and "closed" in response.get_data(as_text=True)
    assert db_session.exec(select(PainScore)).all() == []


def test_the_service_refuses_scores_that_are_not_whole_numbers(app, people, academy):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Toil"], asks_effort=False)
    for wrong in (70.5, True, 101, -1):
        with pytest.raises(services.SurveyError, match="whole numbers"):
            answer(app, people, round_, academy.trainee, [wrong])


def test_a_round_past_its_date_takes_no_answers(app, people, academy, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Too much toil"], asks_effort=False)
    stored = db_session.get(SurveyRound, round_.id)
    stored.closes_on = today(app) - timedelta(days=1)
    db_session.add(stored)
    db_session.commit()
    with pytest.raises(services.SurveyError, match="closed"):
        answer(app, people, round_, academy.trainee, [80])


def test_editing_pain_points_after_the_first_answer_is_refused(app, people, academy, as_role, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee, academy.trainee2], asks_effort=False)
    manager = as_role("manager")
    form = {
        "title": "Pains",
        "closes_on": (today(app) + timedelta(days=9)).isoformat(),
        "points-0-title": "New",
    }
    assert manager.post(f"/surveys/{round_.id}/edit", data=form).status_code == 302  # nobody has answered: allowed
    answer(app, people, round_, academy.trainee, [40])
    response = manager.post(f"/surveys/{round_.id}/edit", data={**form, "points-0-title": "Newer"})
    assert response.status_code == 422 and "open a new round" in response.get_data(as_text=True)
    titles = db_session.exec(select(PainPoint.title).where(PainPoint.round_id == round_.id)).all()
    assert titles == ["New"]
    later = (today(app) + timedelta(days=20)).isoformat()
    extended = manager.post(f"/surveys/{round_.id}/edit", data={**form, "title": "Pains, longer", "closes_on": later})
    assert extended.status_code == 302  # the same pain points: a new title and a later close are fine
    db_session.rollback()
    stored = db_session.get(SurveyRound, round_.id)
    assert (stored.title, stored.closes_on.isoformat()) == ("Pains, longer", later)
    assert db_session.exec(select(PainScore.pain)).all() == [40]


def test_deleting_a_round_keeps_the_audit_record(app, people, academy, as_role, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], asks_effort=False, title="Spring pains")
    answer(app, people, round_, academy.trainee, [40, 50])
    assert as_role("manager").post(f"/surveys/{round_.id}/delete").status_code == 302
    assert db_session.get(SurveyRound, round_.id) is None
    assert db_session.exec(select(PainScore)).all() == []
    deleted = db_session.exec(select(AuditEntry).where(AuditEntry.action == "survey.deleted")).one()
    assert deleted.target == f"survey {round_.id}" and "Spring pains" in deleted.detail
    assert db_session.exec(select(AuditEntry).where(AuditEntry.action == "survey.opened")).one()


def test_only_those_who_run_a_round_see_its_results(app, people, academy, as_role):
    round_ = open_round(app, people, academy.manager, [academy.trainee], asks_effort=False)
    assert as_role("manager").get(f"/surveys/{round_.id}").status_code == 200
    assert as_role("admin").get(f"/surveys/{round_.id}").status_code == 200
    assert "How much it hurts" in as_role("trainee").get(f"/surveys/{round_.id}").get_data(as_text=True)
    for who in ("other_manager", "outsider", "mentor"):
        assert as_role(who).get(f"/surveys/{round_.id}").status_code == 403, who
        assert as_role(who).get(f"/surveys/{round_.id}/results.csv").status_code == 403, who
        assert as_role(who).post(f"/surveys/{round_.id}/close").status_code == 403, who
    assert as_role("outsider").get(f"/surveys/{round_.id}/answer").status_code == 403


def test_a_manager_opens_a_round_for_their_cohort_through_the_form(app, people, academy, as_role, db_session):
    client = as_role("manager")
    assert client.get("/surveys/new").status_code == 200
    left = people.user("left@example.com", "trainee")
    cohort_c = people.cohort("Cohort C", trainees=[left], managers=[academy.manager])
    with people.session() as s:
        s.get(User, left.id).is_active = False
        s.commit()
    closes = (today(app) + timedelta(days=10)).isoformat()
    form = {
        "title": "Cohort A pains",
        "closes_on": closes,
        "cohorts": [str(academy.cohort.id), str(cohort_c.id)],
        "anonymous": "y",
    }
    form |= {"points-0-title": "Too many alerts", "points-0-addresses": "track:observability"}
    response = client.post("/surveys/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    made = db_session.exec(select(SurveyRound)).one()
    asked = set(db_session.exec(select(SurveyRespondent.user_id).where(SurveyRespondent.round_id == made.id)).all())
    a = academy
    assert asked == {a.trainee.id, a.trainee2.id, a.mentor.id, a.mentor2.id, a.manager.id}  # staff too
    assert left.id not in asked  # a deactivated account is never asked
    told = db_session.exec(select(Notification.user_id).where(Notification.link == f"/surveys/{made.id}/answer")).all()
    assert set(told) == asked
    assert made.anonymous and not made.asks_effort


def test_a_refused_round_form_says_why_and_keeps_what_was_typed(app, people, academy, as_role, db_session):
    client = as_role("manager")
    closes = (today(app) + timedelta(days=10)).isoformat()
    cases = [
        ({"title": "", "points-0-title": "Toil", "people": "trainee@example.com"}, "title"),
        ({"title": "T", "points-0-title": "Toil", "people": "nobody@example.com"}, "Nobody active"),
        ({"title": "T", "points-0-title": "Toil", "people": "not-an-address"}, "is not an e-mail"),
        ({"title": "T", "points-0-title": "Toil"}, "Choose a cohort"),
        ({"title": "T", "people": "trainee@example.com"}, "at least one pain point"),
        (
            {"title": "T", "points-0-title": "Toil", "points-1-title": " toil ", "people": "trainee@example.com"},
            "twice",
        ),
        (
            {
                "title": "T",
                "points-0-title": "Toil",
                "points-0-addresses": "module:nope",
                "people": "trainee@example.com",
            },
            "Choose a track",
        ),
        ({"title": "T", "points-0-title": "Toil", "cohorts": [str(academy.other_cohort.id)]}, "cohorts you manage"),
    ]
    for data, says in cases:
        response = client.post("/surveys/new", data={"closes_on": closes, **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (data, page[:300])
        assert says in page and "error-summary" in page, (data, says)
        if data.get("points-0-title"):
            assert f'value="{data["points-0-title"]}"' in page
    past = client.post("/surveys/new", data={"title": "T", "closes_on": "2020-01-01", "points-0-title": "Toil"})
    assert past.status_code == 422 and "closing date" in past.get_data(as_text=True)
    assert db_session.exec(select(SurveyRound)).all() == []


def test_the_checklist_strikes_the_top_pain_points_through(app, people, academy, as_role, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], anonymous=False, asks_effort=False)
    answer(app, people, round_, academy.trainee, [90, 80, 70, 60, 50])
    client = as_role("manager")
    page = client.get(f"/surveys/{round_.id}").get_data(as_text=True)
    assert "0 out, 5 to go" in page
    toil = db_session.exec(select(PainPoint).where(PainPoint.title == "Too much toil")).one()
    form = {"addressed_by": "module", "curriculum": "module:toil"}
    assert client.post(f"/surveys/{round_.id}/points/{toil.id}/strike", data=form).status_code == 302
    page = client.get(f"/surveys/{round_.id}").get_data(as_text=True)
    assert "1 out, 4 to go" in page and "<s>Too much toil</s>" in page
    db_session.rollback()  # end the read transaction that saw the row before the strike
    db_session.refresh(toil)
    assert (toil.struck_with, toil.struck_note) == ("module", "toil") and toil.struck_at is not None
    refused = client.post(f"/surveys/{round_.id}/points/{toil.id}/strike", data={"addressed_by": "team", "what": "X"})
    assert refused.status_code == 422 and "already" in refused.get_data(as_text=True)
    other = db_session.exec(select(PainPoint).where(PainPoint.title == "Out of the loop")).one()
    empty = client.post(f"/surveys/{round_.id}/points/{other.id}/strike", data={"addressed_by": "team", "what": " "})
    assert empty.status_code == 422 and "Name what addressed it" in empty.get_data(as_text=True)
    assert client.post(f"/surveys/{round_.id}/points/{toil.id}/restore").status_code == 302
    assert "0 out, 5 to go" in client.get(f"/surveys/{round_.id}").get_data(as_text=True)


def test_a_repeated_pain_point_shows_its_trend_across_rounds(app, people, academy, ten, db_session):
    first = open_round(app, people, academy.manager, ten[:3], points=["Too many alerts"], asks_effort=False, title="Q1")
    second = open_round(
        app, people, academy.manager, ten[:3], points=["too  many alerts"], asks_effort=False, title="Q2"
    )
    for person, (a, b) in zip(ten[:3], [(90, 40), (80, 50), (70, 45)], strict=True):
        answer(app, people, first, person, [a])
        answer(app, people, second, person, [b])
    for made, day in ((first, date(2026, 3, 1)), (second, date(2026, 9, 1))):
        stored = db_session.get(SurveyRound, made.id)
        stored.closes_on = day
        db_session.add(stored)
    db_session.commit()
    with app.app_context(), people.session() as s:
        series = queries.trends(s, s.get(SurveyRound, second.id), None)
    (trend,) = series.values()
    assert [(t.title, t.pain.value) for t in trend] == [("Q1", 80), ("Q2", 45)]


def test_the_csv_keeps_the_anonymity_rule(app, people, academy, ten, as_role):
    round_ = open_round(app, people, academy.manager, ten[:3])
    client = as_role("manager")
    answer(app, people, round_, ten[0], [50, 60, 70, 80, 90], [10, 10, 10, 10, 10])
    assert client.get(f"/surveys/{round_.id}/results.csv").status_code == 409
    answer(app, people, round_, ten[1], [50] * 5)
    answer(app, people, round_, ten[2], ["?", None, 1, 2, 3])
    text = client.get(f"/surveys/{round_.id}/results.csv").get_data(as_text=True)
    assert "Respondent" not in text and "pain_average" in text  # open: averages only
    close(app, people, round_, academy.manager)
    text = client.get(f"/surveys/{round_.id}/results.csv").get_data(as_text=True)
    assert "Respondent 3: effort" in text and "priority" in text
    assert not any(p.display_name in text or p.email in text for p in ten)


def test_the_reminder_goes_three_days_before_to_those_who_have_not_answered(app, people, academy):
    round_ = open_round(
        app, people, academy.manager, [academy.trainee, academy.trainee2], closes_in=5, asks_effort=False
    )
    answer(app, people, round_, academy.trainee, [10, 20])
    now = today(app)
    with app.test_request_context(), people.session() as s:
        assert services.send_reminders(s, today=now) == 0  # five days before: not yet
        assert services.send_reminders(s, today=now + timedelta(days=2)) == 1
        assert services.send_reminders(s, today=now + timedelta(days=3)) == 0  # once per round
        s.commit()
        reminded = s.exec(select(Notification.user_id).where(Notification.message.startswith("Reminder"))).all()
    assert reminded == [academy.trainee2.id]


def test_the_navigation_shows_surveys_to_those_asked_with_what_waits(app, people, academy, as_role):
    assert "Surveys" not in as_role("trainee").get("/learning").get_data(as_text=True)
    assert "/surveys" in as_role("manager").get("/cohorts").get_data(as_text=True)
    open_round(app, people, academy.manager, [academy.trainee], asks_effort=False)
    page = as_role("trainee").get("/learning").get_data(as_text=True)
    assert 'href="/surveys"' in page and '1<span class="visually-hidden"> to answer' in page


def test_a_module_page_names_the_pain_points_it_addresses(app, people, academy, as_role):
    track = catalogue_track_of(app, "toil")
    page = as_role("trainee").get("/modules/toil").get_data(as_text=True)
    assert "This addresses" not in page
    with app.test_request_context(), people.session() as s:
        services.open_round(
            s,
            catalogue(),
            by=s.get(User, academy.manager.id),
            title="Pains",
            closes_on=installation_today() + timedelta(days=3),
            points=[
                PointDraft("Too much toil", addresses="module:toil"),
                PointDraft("Too many alerts", addresses=f"track:{track}"),
            ],
            cohort_ids=[],
            emails=[academy.trainee.email],
            anonymous=True,
            asks_effort=False,
            today=installation_today(),
        )
        s.commit()
    page = as_role("trainee").get("/modules/toil").get_data(as_text=True)
    assert "This addresses:</strong> too many alerts, too much toil" in page


def catalogue_track_of(app, module_id):
    with app.app_context():
        return catalogue().get(module_id).track


def test_an_edit_waits_for_an_answer_being_saved_and_then_refuses(app, people, academy):
    """An edit that looked before an answer was committed would delete it with the old pain points: it waits for
    the round's lock instead, then sees the answer and refuses. Nothing acknowledged is lost."""
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Toil"], asks_effort=False)
    (pid,) = point_ids(people, round_)
    outcome = {}

    def edit():
        with app.test_request_context(method="POST"), people.session() as second:
            try:
                services.edit_round(
                    second,
                    catalogue(),
                    round_=second.get(SurveyRound, round_.id),
                    by=second.get(User, academy.manager.id),
                    title="Renamed",
                    closes_on=installation_today() + timedelta(days=5),
                    points=[PointDraft("Something else")],
                    today=installation_today(),
                )
                second.commit()
                outcome["edit"] = "saved"
            except services.SurveyError as error:
                second.rollback()
                outcome["edit"] = str(error)

    with app.test_request_context(method="POST"), people.session() as first:
        services.save_answers(
            first,
            round_=first.get(SurveyRound, round_.id),
            respondent=first.get(User, academy.trainee.id),
            answers={pid: Answer(Cell(score=50))},
            today=installation_today(),
        )
        editor = threading.Thread(target=edit)
        editor.start()
        editor.join(0.5)
        assert editor.is_alive(), "the edit did not wait for the answer being saved"
        first.commit()
    editor.join(20)
    assert "answered" in outcome["edit"]
    with people.session() as s:
        assert s.get(PainScore, (pid, academy.trainee.id)).pain == 50


def test_a_struck_pain_point_stays_on_the_checklist_when_later_answers_move_it_down(app, people, academy, ten):
    points = ["A", "B", "C", "D", "E", "F"]
    round_ = open_round(app, people, academy.manager, ten[:2], points=points, anonymous=False, asks_effort=False)
    answer(app, people, round_, ten[0], [90, 80, 70, 60, 50, 40])
    with app.test_request_context(), people.session() as s:
        point = s.exec(select(PainPoint).where(PainPoint.round_id == round_.id, PainPoint.title == "E")).one()
        services.strike(s, catalogue(), point=point, by=s.get(User, academy.manager.id), addressed_by="team", what="X")
        s.commit()
    answer(app, people, round_, ten[1], [90, 80, 70, 60, 0, 100])  # E falls to sixth, F rises to the top five
    found = results(app, people, round_)
    assert [r.point.title for r in found.checklist] == ["A", "B", "C", "F", "D", "E"]  # F: (40 + 100) / 2
    assert (found.struck, len(found.checklist) - found.struck) == (1, 5)


def test_the_edit_page_of_an_answered_round_keeps_its_pain_points_and_changes_the_rest(
    app, people, academy, as_role, db_session
):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Toil", "Alerts"], asks_effort=False)
    answer(app, people, round_, academy.trainee, [40, 60])
    client = as_role("manager")
    page = client.get(f"/surveys/{round_.id}/edit").get_data(as_text=True)
    assert "the pain points stay as they are" in page and 'name="points-0-title" value="Toil"' in page
    form = dict(re.findall(r'<input[^>]*name="(points-\d+-\w+)"[^>]*value="([^"]*)"', page))
    form |= {"title": "Pains, renamed", "closes_on": (today(app) + timedelta(days=30)).isoformat()}
    assert client.post(f"/surveys/{round_.id}/edit", data=form).status_code == 302
    db_session.rollback()
    assert db_session.get(SurveyRound, round_.id).title == "Pains, renamed"
    assert len(db_session.exec(select(PainScore)).all()) == 2


def test_a_title_that_casefolding_makes_too_long_and_a_21st_pain_point_are_refused(app, people, academy, as_role):
    client = as_role("manager")
    closes = (today(app) + timedelta(days=10)).isoformat()
    base = {"title": "T", "closes_on": closes, "people": "trainee@example.com"}
    response = client.post("/surveys/new", data={**base, "points-0-title": "ﬃ" * 50})  # its key is 150 letters
    assert response.status_code == 422 and "under 120 characters" in response.get_data(as_text=True)
    many = {f"points-{i}-title": f"Pain {i}" for i in range(21)}
    response = client.post("/surveys/new", data={**base, **many})
    assert response.status_code == 422 and "at most 20 pain points" in response.get_data(as_text=True)
    with people.session() as s:
        assert s.exec(select(SurveyRound)).all() == []


def test_moving_the_closing_date_moves_the_reminder(app, people, academy, db_session):
    round_ = open_round(app, people, academy.manager, [academy.trainee], points=["Toil"], closes_in=2)
    now = today(app)
    with app.test_request_context(method="POST"), people.session() as s:
        assert services.send_reminders(s, today=now) == 1
        found = s.get(SurveyRound, round_.id)
        services.edit_round(
            s,
            catalogue(),
            round_=found,
            by=s.get(User, academy.manager.id),
            title=found.title,
            closes_on=now + timedelta(days=30),
            points=[PointDraft("Toil")],
            today=now,
        )
        s.commit()
        assert services.send_reminders(s, today=now + timedelta(days=27)) == 1


def test_trends_follow_the_same_people_and_date_a_round_closed_early_by_its_close(
    app, people, academy, ten, db_session
):
    later = open_round(
        app, people, academy.manager, ten[:3], points=["Toil"], asks_effort=False, title="B", closes_in=20
    )
    early = open_round(
        app, people, academy.manager, ten[:3], points=["Toil"], asks_effort=False, title="A", closes_in=300
    )
    other = open_round(app, people, academy.manager, ten[5:8], points=["Toil"], asks_effort=False, title="Other team")
    for person in ten[:3]:
        answer(app, people, early, person, [90])
        answer(app, people, later, person, [10])
    for person in ten[5:8]:
        answer(app, people, other, person, [50])
    close(app, people, early, academy.manager)  # closed today, though dated 300 days ahead
    with app.app_context(), people.session() as s:
        (series,) = queries.trends(s, s.get(SurveyRound, later.id), None).values()
    assert [(t.title, t.pain.value) for t in series] == [("A", 90), ("B", 10)]  # "Other team" asked other people


def test_a_pain_point_struck_in_an_earlier_round_stays_struck_in_a_repeat(app, people, academy, as_role, db_session):
    first = open_round(app, people, academy.manager, [academy.trainee], anonymous=False, asks_effort=False)
    answer(app, people, first, academy.trainee, [90, 80, 70, 60, 50])
    toil = db_session.exec(select(PainPoint).where(PainPoint.round_id == first.id, PainPoint.title == SEED[0])).one()
    client = as_role("manager")
    form = {"addressed_by": "initiative", "what": "Toil budget"}
    assert client.post(f"/surveys/{first.id}/points/{toil.id}/strike", data=form).status_code == 302
    repeat = open_round(app, people, academy.manager, [academy.trainee], anonymous=False, asks_effort=False)
    answer(app, people, repeat, academy.trainee, [80, 80, 70, 60, 50])
    page = client.get(f"/surveys/{repeat.id}").get_data(as_text=True)
    assert "1 out, 4 to go" in page and "in <a" in page and "Toil budget" in page


def test_only_a_pain_point_on_the_list_can_be_struck(app, people, academy, as_role, db_session):
    points = ["A", "B", "C", "D", "E", "F"]
    round_ = open_round(
        app, people, academy.manager, [academy.trainee], points=points, anonymous=False, asks_effort=False
    )
    answer(app, people, round_, academy.trainee, [90, 80, 70, 60, 50, 40])
    sixth = db_session.exec(select(PainPoint).where(PainPoint.round_id == round_.id, PainPoint.title == "F")).one()
    form = {"addressed_by": "team", "what": "X"}
    response = as_role("manager").post(f"/surveys/{round_.id}/points/{sixth.id}/strike", data=form)
    assert response.status_code == 422 and "on the team" in response.get_data(as_text=True)
    db_session.rollback()
    assert db_session.get(PainPoint, sixth.id).struck_at is None


def test_a_row_with_pain_but_no_effort_answered_comes_after_the_rows_with_a_priority(app, people, academy, ten):
    round_ = open_round(app, people, academy.manager, ten[:1], points=["A", "B", "C"], anonymous=False)
    answer(app, people, round_, ten[0], [95, 10, None], [None, 20, None])
    assert [r.point.title for r in results(app, people, round_).rows] == ["B", "A", "C"]

"""Pages at company scale: the SQL a page issues does not grow with the academy, and module Markdown is
rendered when the catalogue is read, never per request.

The statement counts are measured on a synthetic academy (academy.synth), once small and once grown: the
same people look at the same pages while their cohort, their mentor's queue, their manager's cohorts and
the academy around them get bigger.
"""

import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from academy import synth
from academy.api.tokens import create_token
from academy.curriculum import loader
from academy.curriculum import store as store_module
from academy.models import Cohort, CohortStaff, CohortTrainee, Decision, LabAttempt, User
from academy.reviews.queries import review_queue
from tests.conftest import REPO, Statements, empty_tables, make_app, sign_in

PAGES = {  # page -> (who looks, URL); the URL's fields come from the Cast
    "module page": ("trainee", "/modules/{module_id}"),
    "learning path": ("trainee", "/learn"),
    "catalogue": ("trainee", "/catalogue"),  # with the trainee's state of every module
    "review queue": ("mentor", "/reviews"),
    "trainee page": ("mentor", "/trainees/{trainee_id}"),
    "cohorts list": ("manager", "/cohorts"),
    "cohort page": ("manager", "/cohorts/{cohort_id}"),
    "progress CSV": ("manager", "/cohorts/{cohort_id}/progress.csv"),
    "review log CSV": ("manager", "/cohorts/{cohort_id}/reviews.csv"),
    "API cohort progress": ("api", "/api/v1/cohorts/{cohort_id}/progress"),
    "readiness CSV": ("manager", "/cohorts/{cohort_id}/readiness.csv"),
    "API cohort readiness": ("api", "/api/v1/cohorts/{cohort_id}/readiness"),
    "API cohort at risk": ("api", "/api/v1/cohorts/{cohort_id}/at-risk"),
    "API trainee readiness": ("api", "/api/v1/trainees/{trainee_id}/readiness"),
}


@dataclass
class Cast:
    """The people whose pages are measured, all from one cohort of the synthetic academy."""

    cohort_id: int
    trainee_id: int
    trainee_email: str
    mentor_id: int
    mentor_email: str
    manager_email: str
    module_id: str  # a module in which the trainee has lab work with a decision
    token: str  # the manager's API token


def build_academy(app, *, cohorts: int, trainees: int, seed: int) -> list[int]:
    """A synthetic academy added to what is there; the ids of the new cohorts, newest start first."""
    engine = app.extensions["academy.engine"]
    with app.app_context(), Session(engine) as s:
        first_new = synth.next_id(s, Cohort)
        rows = synth.build(
            session=s,
            catalogue=app.extensions["academy.catalogue"].catalogue,
            cohorts=cohorts,
            trainees=trainees,
            today=datetime.now(UTC).date(),
            seed=seed,
        )
        synth.write(s, rows)
        s.commit()
        found = s.exec(select(Cohort.id).where(Cohort.id >= first_new).order_by(Cohort.start_date.desc()))
        return list(found.all())


def choose_cast(app, cohort_id: int) -> Cast:
    """The cohort's manager, its first trainee, their assigned mentor, and a module they have had feedback in."""
    with app.test_request_context(), Session(app.extensions["academy.engine"], expire_on_commit=False) as s:
        member = s.exec(
            select(CohortTrainee).where(CohortTrainee.cohort_id == cohort_id).order_by(CohortTrainee.trainee_id)
        ).first()
        manager = s.exec(
            select(User)
            .join(CohortStaff, CohortStaff.user_id == User.id)
            .where(CohortStaff.cohort_id == cohort_id, CohortStaff.role == "manager")
        ).one()
        decided = s.exec(
            select(LabAttempt.module_id)
            .join(Decision, Decision.attempt_id == LabAttempt.id)
            .where(LabAttempt.trainee_id == member.trainee_id)
            .order_by(LabAttempt.id)
        ).first()
        assert decided, "the trainee has lab work with a mentor's decision, so the module page shows it"
        token, _ = create_token(s, user=manager, name="statement counts", scope="read")
        s.commit()
        return Cast(
            cohort_id=cohort_id,
            trainee_id=member.trainee_id,
            trainee_email=s.get(User, member.trainee_id).email,
            mentor_id=member.mentor_id,
            mentor_email=s.get(User, member.mentor_id).email,
            manager_email=manager.email,
            module_id=decided,
            token=token,
        )


def grow(app, cast: Cast) -> None:
    """Four more cohorts of nine trainees. The newest of them joins the cast's cohort, all assigned to the
    cast's mentor; the cast's mentor serves, and its manager owns, every new cohort as well."""
    new = build_academy(app, cohorts=4, trainees=9, seed=8)
    with app.app_context(), Session(app.extensions["academy.engine"]) as s:
        s.execute(
            update(CohortTrainee)
            .where(CohortTrainee.cohort_id == new[0])
            .values(cohort_id=cast.cohort_id, mentor_id=cast.mentor_id)
        )
        manager_id = s.exec(select(User.id).where(User.email == cast.manager_email)).one()
        staff = [(manager_id, "manager"), (cast.mentor_id, "mentor")]
        s.execute(insert(CohortStaff), [{"cohort_id": c, "user_id": u, "role": r} for c in new for u, r in staff])
        s.commit()


def measure(app, cast: Cast) -> dict[str, list[str]]:
    """The statements of one request to each page, after a first request that may do one-off work."""
    clients = {}
    for who, email in (("trainee", cast.trainee_email), ("mentor", cast.mentor_email), ("manager", cast.manager_email)):
        clients[who] = app.test_client()
        assert sign_in(clients[who], email, synth.PASSWORD).status_code == 302
    clients["api"] = app.test_client()
    bearer = {"Authorization": f"Bearer {cast.token}"}
    found = {}
    for page, (who, url) in PAGES.items():
        url, headers = url.format(**vars(cast)), bearer if who == "api" else {}
        assert clients[who].get(url, headers=headers).status_code == 200, page
        with Statements(app.extensions["academy.engine"]) as statements:
            assert clients[who].get(url, headers=headers).status_code == 200, page
        found[page] = statements.seen
    return found


@dataclass
class Sizes:
    small: dict[str, list[str]]
    grown: dict[str, list[str]]
    notes: dict[str, tuple]  # what grew between the two measurements


@pytest.fixture(scope="module")
def sizes(migrated):
    app = make_app(migrated)
    engine = app.extensions["academy.engine"]
    empty_tables(engine)
    try:
        # seed 9: a small academy whose cast has work waiting for its mentor (not every seed gives one)
        cohorts = build_academy(app, cohorts=4, trainees=3, seed=9)
        cast = choose_cast(app, cohorts[0])  # the newest cohort: people mid-way, work waiting for mentors
        before = scale(app, cast)
        small = measure(app, cast)
        grow(app, cast)
        after = scale(app, cast)
        grown = measure(app, cast)
        yield Sizes(small, grown, {k: (before[k], after[k]) for k in before})
    finally:
        empty_tables(engine)
        engine.dispose()


def scale(app, cast: Cast) -> dict[str, int]:
    with app.test_request_context(), Session(app.extensions["academy.engine"]) as s:
        cat = app.extensions["academy.catalogue"].catalogue
        return {
            "trainees in the academy": s.exec(select(func.count()).select_from(CohortTrainee)).one(),
            "trainees in the cohort": s.exec(
                select(func.count()).select_from(CohortTrainee).where(CohortTrainee.cohort_id == cast.cohort_id)
            ).one(),
            "mentor's trainees": s.exec(
                select(func.count()).select_from(CohortTrainee).where(CohortTrainee.mentor_id == cast.mentor_id)
            ).one(),
            "mentor's queue": len(review_queue(s, cat, cast.mentor_id, target_hours=48)),
            "manager's cohorts": s.exec(
                select(func.count())
                .select_from(CohortStaff)
                .where(
                    CohortStaff.role == "manager",
                    CohortStaff.user_id.in_(select(User.id).where(User.email == cast.manager_email)),
                )
            ).one(),
        }


def test_the_academy_grows_between_the_two_measurements(sizes):
    for what, (before, after) in sizes.notes.items():
        assert 0 < before < after, f"{what}: {before} then {after}"


@pytest.mark.parametrize("page", PAGES)
def test_statements_per_request_do_not_grow_with_the_academy(sizes, page):
    small, grown = sizes.small[page], sizes.grown[page]
    repeated = Counter(grown) - Counter(small)
    detail = "\n".join(f"  +{n} x {sql}" for sql, n in repeated.items())
    assert len(grown) == len(small), f"{page}: {len(small)} statements, then {len(grown)}; added:\n{detail}"
    assert small, f"{page} issued no SQL at all: the counting hook saw nothing"


# ------------------------------------------------------------------ what the browser has to build


class ElementCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = 0

    def handle_starttag(self, tag, attrs):
        self.elements += 1


def elements_of(page: str) -> int:
    counter = ElementCounter()
    counter.feed(page)
    return counter.elements


def test_a_forty_trainee_cohort_page_stays_within_the_dom_size_lighthouse_advises(migrated):
    """Lighthouse flags a page of more than 1,400 elements; the matrix alone was 3,500 for 40 trainees."""
    app = make_app(migrated)
    engine = app.extensions["academy.engine"]
    empty_tables(engine)
    try:
        cohorts = build_academy(app, cohorts=4, trainees=40, seed=11)
        newest, oldest = choose_cast(app, cohorts[0]), choose_cast(app, cohorts[-1])  # mid-way, and long finished
        client = app.test_client()
        assert sign_in(client, newest.manager_email, synth.PASSWORD).status_code == 302
        for cast in (newest, oldest):
            page = client.get(f"/cohorts/{cast.cohort_id}").get_data(as_text=True)
            assert "40 trainees" in page
            assert elements_of(page) <= 1400, f"cohort {cast.cohort_id}: {elements_of(page)} elements"
    finally:
        empty_tables(engine)
        engine.dispose()


# ------------------------------------------------------------------ rendered Markdown is kept, not redone


def count_markdown(monkeypatch) -> tuple[list[str], list[str]]:
    """(module files rendered by the catalogue, every text any markdown-it instance parses), as they happen."""
    rendered, parsed = [], []
    render_document = loader.render_document

    def counted_render_document(text, **kwargs):
        rendered.append(kwargs["source_path"])
        return render_document(text, **kwargs)

    monkeypatch.setattr(loader, "render_document", counted_render_document)
    for name in ("parse", "parseInline"):  # what render() and renderInline() start with
        real = getattr(MarkdownIt, name)
        monkeypatch.setattr(
            MarkdownIt, name, lambda self, src, env=None, _real=real: parsed.append(src) or _real(self, src, env)
        )
    return rendered, parsed


def test_module_markdown_is_rendered_once_per_module_version_never_per_request(migrated, tmp_path, monkeypatch):
    root = tmp_path / "curriculum"
    shutil.copytree(REPO / "curriculum", root)  # no earlier app read this directory: its catalogue is rendered here
    monkeypatch.setattr(store_module, "_read_once", {})  # and the other tests keep the catalogue they share
    rendered, parsed = count_markdown(monkeypatch)
    app = make_app(migrated, CURRICULUM_DIR=str(root), CURRICULUM_WATCH=True)
    store, engine = app.extensions["academy.catalogue"], app.extensions["academy.engine"]
    modules = list(store.catalogue.modules.values())
    assert Counter(rendered) == Counter(m.path for m in modules), "every module rendered exactly once at start"
    empty_tables(engine)
    try:
        build_academy(app, cohorts=1, trainees=2, seed=7)  # two years ago: every module done, labs decided
        with Session(engine) as s:
            user_written = set(s.exec(select(LabAttempt.evidence)).all()) | set(s.exec(select(Decision.comment)).all())
            emails = [
                s.exec(select(User.email).where(User.email.like(f"synth-{r}%"))).first() for r in ("trainee", "mentor")
            ]
        readers = []
        for email in emails:  # a trainee's module page has their lab work too; a mentor's has not
            readers.append(app.test_client())
            assert sign_in(readers[-1], email, synth.PASSWORD).status_code == 302
        rendered.clear()
        parsed.clear()
        for _ in range(2):
            for module in modules:
                for reader in readers:
                    store._checked_at = 0  # look for changed files on every request, as in debug mode
                    assert reader.get(f"/modules/{module.id}").status_code == 200
        assert rendered == []
        assert parsed, "the trainee's evidence and their mentor's comments are rendered per request: the hook sees it"
        assert set(parsed) <= user_written, "only what people wrote is rendered per request, never module content"

        changed = modules[0]
        path = root / changed.path
        path.write_text(path.read_text() + "\n\nA paragraph added in this version.\n")
        rendered.clear()
        for _ in range(3):
            store._checked_at = 0
            page = readers[1].get(f"/modules/{changed.id}").get_data(as_text=True)
            assert "A paragraph added in this version." in page
        assert rendered.count(changed.path) == 1, "the new version is rendered once, then served from memory"
    finally:
        empty_tables(engine)
        engine.dispose()

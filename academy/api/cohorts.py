"""The managers' API: cohorts, their progress matrix, at-risk list and readiness, and a trainee's readiness."""

from flask import abort

from .. import db
from ..accounts.services import roles_of
from ..cohorts import queries as cohort_queries
from ..cohorts import readiness
from ..curriculum.store import catalogue
from ..models import Cohort, CohortTrainee, utcnow
from ..policy import managed_cohort_ids, may_view_cohort, may_view_trainee
from ..reviews import queries as review_queries
from . import cohort_schemas as cs
from . import schemas as s
from .views import api, caller, cohorts_tag, page_of, readiness_tag, require

# ------------------------------------------------------------------ cohorts


@api.get("/cohorts", operation_id="listCohorts", tags=[cohorts_tag], responses={200: cs.CohortPage})
def cohorts(query: s.PageQuery):
    """The cohorts the caller owns (all of them for an admin)."""
    user = caller()
    require(user.has_role("manager") or user.has_role("admin"), "Only managers follow cohorts.")
    found = cohort_queries.cohort_summaries(db.session(), managed_cohort_ids(user))
    items = [
        cs.CohortOut(
            id=c.id,
            name=c.name,
            start_date=c.start_date,
            end_date=c.end_date,
            trainees=c.trainees,
            completion_percent=c.percent,
        ).model_dump(mode="json")
        for c in found
    ]
    return page_of(items, query)


def cohort_data(cohort_id: int):
    require(may_view_cohort(caller(), cohort_id), "You do not own this cohort.")
    found = db.session().get(Cohort, cohort_id)
    if found is None:
        abort(404, description="There is no such cohort.")
    return cohort_queries.cohort_data(db.session(), catalogue(), found, utcnow().date())  # the API speaks UTC


@api.get(
    "/cohorts/<int:cohort_id>/progress",
    operation_id="getCohortProgress",
    tags=[cohorts_tag],
    responses={200: cs.MatrixPage},
)
def cohort_progress(path: cs.CohortPath, query: s.PageQuery):
    """The progress matrix: one item per trainee, with each module's state."""
    data = cohort_data(path.cohort_id)
    rows = [
        cs.MatrixRowOut(
            trainee_id=r.trainee_id,
            name=r.name,
            mentor=r.mentor,
            done=r.done,
            cells={module_id: s.MODULE_STATE[state] for module_id, state in r.cells.items()},
        ).model_dump(mode="json")
        for r in data.rows
    ]
    return {**page_of(rows, query), "modules": [mid for mid, _ in data.plan]}


@api.get(
    "/cohorts/<int:cohort_id>/at-risk",
    operation_id="listCohortAtRisk",
    tags=[cohorts_tag],
    responses={200: cs.AtRiskPage},
)
def cohort_at_risk(path: cs.CohortPath, query: s.PageQuery):
    """Trainees behind by more than two modules, silent for 7 days, with a lab returned twice, and, while they
    practise, without a practice entry for 3 weeks or with drills returned twice."""
    data = cohort_data(path.cohort_id)
    ids = [r.trainee_id for r in data.rows]
    session, now = db.session(), utcnow()
    ready = readiness.cohort_readiness(session, catalogue(), data, now)
    activity = readiness.with_practice(review_queries.trainee_activity(session, ids), ready.activity)
    found = cohort_queries.at_risk(
        data, activity, review_queries.returned_twice(session, ids), now, ready.risks, ready.finished
    )
    return page_of(
        [cs.AtRiskOut(trainee_id=r.row.trainee_id, name=r.row.name, reasons=r.reasons).model_dump() for r in found],
        query,
    )


# ------------------------------------------------------------------ readiness


@api.get(
    "/cohorts/<int:cohort_id>/readiness",
    operation_id="getCohortReadiness",
    tags=[cohorts_tag, readiness_tag],
    responses={200: cs.CohortReadinessPage},
)
def cohort_readiness(path: cs.CohortPath, query: s.PageQuery):
    """Each trainee's stage on the way to on-call, checklist items done, and forecast; with the whole cohort's
    count at each stage."""
    data = cohort_data(path.cohort_id)
    found, _ = readiness.trainees_readiness(
        db.session(),
        catalogue(),
        [r.trainee_id for r in data.rows],
        cohort_start=data.cohort.start_date,
        today=data.today,
    )
    items = [readiness_row(r, found[r.trainee_id]) for r in data.rows]
    stages = {s.STAGE[stage].value: n for stage, n in readiness.stage_counts(found).items()}
    return {**page_of(items, query), "stages": cs.StageCounts(**stages).model_dump()}


def readiness_row(row: cohort_queries.MatrixRow, trainee: readiness.TraineeReadiness) -> dict:
    return cs.CohortTraineeReadinessOut(
        trainee_id=row.trainee_id,
        name=row.name,
        stage=s.STAGE[trainee.stage],
        done=trainee.done,
        total=trainee.total,
        graduated_on=trainee.readiness.graduated_on,
        forecast=trainee.forecast,
    ).model_dump(mode="json")


@api.get(
    "/trainees/<int:trainee_id>/readiness",
    operation_id="getTraineeReadiness",
    tags=[readiness_tag],
    responses={200: cs.TraineeReadinessOut},
)
def trainee_readiness(path: cs.TraineePath):
    """A trainee's readiness checklist, stage and forecast: for the trainee, the mentors of their cohort, its
    managers and admins."""
    require(may_view_trainee(caller(), path.trainee_id), "You may not see this trainee's readiness.")
    session = db.session()
    if "trainee" not in roles_of(session, path.trainee_id):
        abort(404, description="There is no such trainee.")
    member = session.get(CohortTrainee, path.trainee_id)
    cohort = session.get(Cohort, member.cohort_id) if member else None
    found, _ = readiness.trainees_readiness(
        session,
        catalogue(),
        [path.trainee_id],
        cohort_start=cohort.start_date if cohort else None,
        today=utcnow().date(),  # the API speaks UTC
    )
    trainee = found[path.trainee_id]
    return cs.TraineeReadinessOut(
        trainee_id=path.trainee_id,
        stage=s.STAGE[trainee.stage],
        done=trainee.done,
        total=trainee.total,
        items=[
            cs.ChecklistItemOut(
                kind=i.kind, id=i.id, title=i.title, done_on=i.done_on, progress=i.progress, locked_by=list(i.locked_by)
            )
            for i in trainee.readiness.items
        ],
        graduated_on=trainee.readiness.graduated_on,
        pending_request_id=trainee.readiness.pending.id if trainee.readiness.pending else None,
        forecast=trainee.forecast,
    ).model_dump(mode="json")

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.utils import secure_filename

from .. import audit, db
from ..accounts import services as accounts
from ..accounts.services import AccountError
from ..cohorts import services as cohorts
from ..cohorts.services import CohortError
from ..curriculum.store import catalogue
from ..formatting import pluralize
from ..inputs import flag_or_400, id_or_400, is_email, page_number
from ..links import external_url
from ..mail import mail_enabled, queue_mail
from ..models import ROLES, Cohort, User
from ..policy import admins_only
from ..spreadsheets import csv_text, iso
from . import importer, queries
from .audit_words import SENTENCES, describe
from .forms import (
    AssignMentorForm,
    CohortForm,
    EditUserForm,
    ImportForm,
    MemberForm,
    NewCohortForm,
    PlanForm,
    UserForm,
    choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def page_arg() -> int:
    return page_number(request.args.get("page"))


def get_or_404(model, object_id: int):
    found = db.session().get(model, object_id)
    if found is None:
        abort(404, description=f"There is no such {model.__name__.lower()}.")
    return found


def link_for(token: str) -> str:
    return external_url("accounts.welcome", token=token)


def track_choices():
    return choices((t.id, t.title) for t in catalogue().tracks)


@bp.get("/")
@admins_only
def index():
    return render_template("admin/index.html", counts=queries.counts(db.session()))


# ------------------------------------------------------------------ people


@bp.get("/users")
@admins_only
def users():
    q, role = request.args.get("q", "")[:200].strip(), request.args.get("role", "")
    role = role if role in ROLES else ""
    found = queries.users_page(db.session(), q=q, role=role, page=page_arg())
    return render_template("admin/users.html", page=found, q=q, role=role, roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
@admins_only
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            user = accounts.create_user(
                session=s, email=form.email.data, display_name=form.display_name.data, roles=form.roles.data
            )
        except AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            token = accounts.password_link_token(s, user, purpose="invite")
            s.commit()
            return show_link(user, link_for(token), "invite")
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admins_only
def edit_user(user_id: int):
    s = db.session()
    user = get_or_404(User, user_id)
    form = EditUserForm(display_name=user.display_name, roles=sorted(accounts.roles_of(s, user.id)))
    if request.method == "POST" and "display_name" not in request.form:
        abort(400, description="The form came without the person's name. Nothing was changed.")
    if form.validate_on_submit():
        try:
            accounts.update_profile(s, user, display_name=form.display_name.data)
            accounts.set_roles(s, user, form.roles.data)
        except AccountError as error:
            form.roles.errors.append(str(error))
        else:
            s.commit()
            flash(f"{user.display_name} is saved.", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form), 400 if form.errors else 200


@bp.post("/users/<int:user_id>/active")
@admins_only
def set_active(user_id: int):
    s = db.session()
    user = get_or_404(User, user_id)
    active = flag_or_400(request.form.get("active"), "activate or deactivate the account")
    if user.id == current_user.id and not active:
        flash("You cannot deactivate your own account.", "error")
    else:
        accounts.set_active(s, user, active)
        s.commit()
        flash(
            f"{user.display_name} is {'active again' if active else 'deactivated; their history is kept'}.", "success"
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/password-link")
@admins_only
def password_link(user_id: int):
    s = db.session()
    user = get_or_404(User, user_id)
    if not user.is_active:
        flash("Reactivate the account before creating a password link.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    purpose = "reset" if user.password_hash else "invite"
    token = accounts.password_link_token(s, user, purpose=purpose)
    s.commit()
    return show_link(user, link_for(token), purpose)


def show_link(user: User, link: str, purpose: str, *, cohort: Cohort | None = None, role: str | None = None):
    """The link for the admin to copy, and, when mail is set up, the same link e-mailed to the person; `cohort`
    when they were invited from a cohort's page, which the page then leads back to."""
    mailed = None
    if mail_enabled():
        subject = "Your SRE Academy invitation" if purpose == "invite" else "Reset your SRE Academy password"
        body = (
            f"Hello {user.display_name},\n\nopen this link to choose your password for SRE Academy:\n\n{link}\n\n"
            "It works once and expires after 7 days.\n"
        )
        s = db.session()  # the link's own transaction committed already: the message is a short one of its own
        mailed = queue_mail(s, to=user.email, subject=subject, body=body) is not None
        s.commit()
    return render_template(
        "admin/link.html", user=user, link=link, purpose=purpose, mailed=mailed, cohort=cohort, role=role
    )


# ------------------------------------------------------------------ cohorts


@bp.get("/cohorts")
@admins_only
def cohort_list():
    return render_template("admin/cohorts.html", cohorts=queries.all_cohorts(db.session()))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@admins_only
def new_cohort():
    form = NewCohortForm()
    form.tracks.choices = track_choices()
    if request.method == "GET":
        form.tracks.data = [choice.value for choice in form.tracks.choices]
    if form.validate_on_submit():
        s = db.session()
        try:
            cohort = cohorts.create_cohort(
                session=s,
                catalogue=catalogue(),
                name=form.name.data,
                start=form.start_date.data,
                end=form.end_date.data,
                track_ids=form.tracks.data,
            )
        except CohortError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            s.commit()
            flash(f"Cohort {cohort.name} is created. Now add its people.", "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return render_template("admin/cohort_new.html", form=form), 400 if form.errors else 200


def cohort_page(cohort: Cohort, status: int = 200, **forms):
    s = db.session()
    people = queries.cohort_people(s, cohort.id)
    details = forms.get("details") or CohortForm(obj=cohort, prefix="details")
    plan = forms.get("plan") or PlanForm(prefix="plan", tracks=sorted(cohorts.plan_tracks(s, catalogue(), cohort.id)))
    plan.tracks.choices = track_choices()
    member = forms.get("member") or MemberForm(prefix="member")
    member.mentor.choices = choices([("", "No mentor yet")] + [(u.email, u.display_name) for u in people.mentors])
    return render_template(
        "admin/cohort.html",
        cohort=cohort,
        people=people,
        details=details,
        plan=plan,
        member=member,
        assign=AssignMentorForm(prefix="assign"),
    ), status


@bp.get("/cohorts/<int:cohort_id>")
@admins_only
def cohort(cohort_id: int):
    return cohort_page(get_or_404(Cohort, cohort_id))


@bp.post("/cohorts/<int:cohort_id>/details")
@admins_only
def cohort_details(cohort_id: int):
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    form = CohortForm(prefix="details")
    if form.validate_on_submit():
        try:
            cohorts.update_cohort(
                session=s, cohort=cohort, name=form.name.data, start=form.start_date.data, end=form.end_date.data
            )
        except CohortError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            s.commit()
            flash("The cohort's details are saved.", "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return cohort_page(cohort, 400, details=form)


@bp.post("/cohorts/<int:cohort_id>/plan")
@admins_only
def cohort_plan(cohort_id: int):
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    form = PlanForm(prefix="plan")
    form.tracks.choices = track_choices()
    if form.validate_on_submit():
        try:
            count = cohorts.set_plan(session=s, catalogue=catalogue(), cohort=cohort, track_ids=form.tracks.data)
        except CohortError as error:
            form.tracks.errors.append(str(error))
        else:
            s.commit()
            modules = pluralize(count, "module")
            flash(f"The plan now has {modules}, due evenly until {cohort.end_date:%d %b %Y}.", "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return cohort_page(cohort, 400, plan=form)


@bp.post("/cohorts/<int:cohort_id>/members")
@admins_only
def add_member(cohort_id: int):
    """An existing account is added; a new email with a name is invited: its account made with the cohort role,
    added, and its one-time link shown here (and e-mailed when mail is set up)."""
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    form = MemberForm(prefix="member")
    if form.validate_on_submit():
        role, name = form.role.data, " ".join((form.name.data or "").split())
        user = accounts.user_by_email(s, form.email.data)
        mentor = accounts.user_by_email(s, form.mentor.data) if form.mentor.data else None
        token = None
        try:
            if form.mentor.data and mentor is None:
                raise CohortError("Choose one of this cohort's mentors.", "mentor")
            if user is None:
                if not is_email(User.normalise_email(form.email.data)):
                    raise CohortError("Enter a valid email address.", "email")
                if not name:
                    raise CohortError("No account has this email yet: enter their name to invite them.", "name")
                user = accounts.create_user(session=s, email=form.email.data, display_name=name, roles=[role])
                token = accounts.password_link_token(s, user, purpose="invite")
            elif not user.is_active:
                raise CohortError(f"{user.email} is deactivated; reactivate the account first.", "email")
            cohorts.add_member(
                session=s, cohort=cohort, user=user, role=role, mentor=mentor if role == "trainee" else None
            )
        except (CohortError, AccountError) as error:
            s.rollback()
            field = error.field if error.field in ("name", "email", "mentor", "role") else "email"
            getattr(form, field).errors.append(str(error))
        else:
            s.commit()
            if token is not None:
                return show_link(user, link_for(token), "invite", cohort=cohort, role=role)
            known = f"{user.email} already has an account, so no invitation was made: " if name else ""
            flash(f"{known}{user.display_name} is now a {role} of {cohort.name}.", "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return cohort_page(cohort, 400, member=form)


@bp.post("/cohorts/<int:cohort_id>/members/remove")
@admins_only
def remove_member(cohort_id: int):
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    role = request.form.get("role", "")
    user = s.get(User, id_or_400(request.form.get("user_id"), "person"))
    try:
        if user is None:
            raise CohortError("There is no such person.")
        cohorts.remove_member(session=s, cohort=cohort, user=user, role=role)
    except CohortError as error:
        s.rollback()
        flash(str(error), "error")
        return cohort_page(cohort, 422)
    s.commit()
    flash(f"{user.display_name} is no longer a {role} of {cohort.name}; their history is kept.", "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/mentor")
@admins_only
def assign_mentor(cohort_id: int):
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    form = AssignMentorForm(prefix="assign")
    if not form.validate_on_submit():
        return cohort_page(cohort, 400)
    trainee = s.get(User, id_or_400(form.trainee.data, "trainee"))
    mentor = s.get(User, id_or_400(form.mentor.data, "mentor")) if form.mentor.data else None
    try:
        if trainee is None or (form.mentor.data and mentor is None):
            raise CohortError("Choose a trainee and a mentor of this cohort.")
        cohorts.assign_mentor(session=s, cohort=cohort, trainee=trainee, mentor=mentor)
    except CohortError as error:
        s.rollback()
        flash(str(error), "error")
        return cohort_page(cohort, 422)
    s.commit()
    flash(f"{trainee.display_name}'s mentor is now {mentor.display_name if mentor else 'not set'}.", "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@admins_only
def import_people(cohort_id: int):
    """Upload or paste CSV, see every row's problems; confirm writes all rows or none."""
    s, cohort = db.session(), get_or_404(Cohort, cohort_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", cohort=cohort, form=form, plan=None), 400 if form.errors else 200
    text, problem = import_text(form)
    if text:  # the rows stay in the form to correct, an uploaded file's too (a file input cannot be refilled)
        form.text.data = text
    plan = importer.plan_import(s, cohort, text) if not problem else importer.ImportPlan([], [problem])
    refused = None
    if request.form.get("confirm") == "1" and plan.ok:
        try:
            invited = importer.apply_import(s, cohort, plan, confirmed=request.form.get("confirm_existing", ""))
        except importer.ConfirmationNeeded as error:
            refused = str(error)
        else:
            audit.record(s, "cohort.imported", cohort.name, rows=len(plan.rows), new_accounts=len(invited))
            s.commit()
            links = [(user, link_for(token)) for user, token in invited]
            bundle = links_bundle(cohort, [(u.display_name, u.email, link) for u, link in links]) if links else ""
            return render_template("admin/import_done.html", cohort=cohort, plan=plan, links=links, bundle=bundle)
    status = 200 if plan.ok and not refused else 422
    page = render_template("admin/import.html", cohort=cohort, form=form, plan=plan, text=text, refused=refused)
    return page, status


# The new accounts' invitation links, downloadable as CSV from the page that shows them: the page carries them signed
# (for this admin and cohort, for LINKS_DOWNLOAD_MINUTES) and posts them back; nothing holds them on the server.
LINKS_DOWNLOAD_MINUTES = 30


def links_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="academy.import-links")


def links_bundle(cohort: Cohort, rows: list[tuple[str, str, str]]) -> str:
    return links_serializer().dumps({"admin": current_user.id, "cohort": cohort.id, "rows": rows})


@bp.post("/cohorts/<int:cohort_id>/import/links.csv")
@admins_only
def import_links_csv(cohort_id: int):
    """name,email,link of the accounts an import just made, to the admin who made them, shortly after."""
    cohort = get_or_404(Cohort, cohort_id)
    try:
        data = links_serializer().loads(request.form.get("bundle", ""), max_age=LINKS_DOWNLOAD_MINUTES * 60)
    except BadSignature:
        abort(
            400,
            description=f"This download of invitation links has expired (it lasts {LINKS_DOWNLOAD_MINUTES} minutes"
            " after the import) or is not valid. A new link for each person is on their page under People.",
        )
    if data.get("admin") != current_user.id or data.get("cohort") != cohort.id:
        abort(403, description="These invitation links were made by another import.")
    name = f"invitations-{secure_filename(cohort.name) or cohort.id}.csv"
    return Response(
        csv_text(["name", "email", "link"], data["rows"]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def import_text(form: ImportForm) -> tuple[str, str | None]:
    """The CSV as text, from the uploaded file or the pasted rows, or a problem to show."""
    upload = form.file.data
    raw = upload.read(importer.MAX_BYTES + 1) if upload and upload.filename else None
    if raw is not None:
        if len(raw) > importer.MAX_BYTES:
            return "", "The file is larger than 1 MB; split it into smaller files."
        try:
            return raw.decode("utf-8-sig"), None
        except UnicodeDecodeError:
            return "", "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”."
    if form.text.data and form.text.data.strip():
        return form.text.data, None
    return "", "Choose a CSV file or paste its rows."


# ------------------------------------------------------------------ audit log


def audit_filters() -> tuple[str, str]:
    action = request.args.get("action", "")
    return (action if action in SENTENCES else ""), request.args.get("actor", "")[:200].strip()


@bp.get("/audit")
@admins_only
def audit_log():
    action, actor = audit_filters()
    found = queries.audit_page(db.session(), action=action, actor=actor, page=page_arg())
    return render_template(
        "admin/audit.html", page=found, action=action, actor=actor, actions=sorted(SENTENCES), describe=describe
    )


@bp.get("/audit.csv")
@admins_only
def audit_csv():
    """The filtered log: its codes and detail as stored, with the sentence the page shows."""
    action, actor = audit_filters()
    rows = (
        (
            iso(entry.at),
            entry.action,
            describe(entry.action, entry.target, entry.detail, name),
            email or "",
            entry.target or "",
            entry.detail or "",
            entry.ip or "",
            entry.repeats,
            iso(entry.last_at),
        )
        for entry, email, name in queries.audit_rows(db.session(), action=action, actor=actor)
    )
    header = ["at_utc", "action", "what_happened", "by_email", "about", "detail", "ip", "repeats", "last_at_utc"]
    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )

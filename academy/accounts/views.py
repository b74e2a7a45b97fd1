from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from .. import audit, db, policy
from ..api import tokens
from ..credentials.queries import credentials_of
from ..identity import oidc
from ..inputs import flag_or_400
from ..learning.forms import ActionForm
from ..local_time import reader_zone
from ..models import User, utcnow
from . import services
from .auth import home_url, safe_next, start_session
from .forms import ChangePasswordForm, LoginForm, ProfileForm, SetPasswordForm, TokenForm
from .services import AccountError

bp = Blueprint("accounts", __name__)
THROTTLED = "Too many sign-in attempts. For your safety, sign-in is paused for 15 minutes; try again after that."
PASSWORDS_OFF = (
    "This academy signs in with {name}. Passwords work only for its break-glass administrators, and this email and "
    "password do not match one."
)


@bp.get("/")
@login_required
def home():
    return redirect(home_url(current_user))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_url(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        provider_sign_out = session.pop("provider_sign_out", None) if request.method == "GET" else None
        page = render_template("accounts/login.html", form=form, provider_sign_out=provider_sign_out)
        return page, 400 if form.is_submitted() else 200
    s, ip = db.session(), request.remote_addr or "unknown"
    if services.sign_in_throttled(s, email=form.email.data, ip=ip):
        # still holding this account's and address's turn (see sign_in_throttled), so repeats count exactly
        audit.record_coalesced(s, "login.throttled", User.normalise_email(form.email.data)[:200])
        s.commit()
        return render_template("accounts/login.html", form=form, error=THROTTLED), 429
    permitted = policy.may_sign_in_with_password
    user = services.authenticate(s, email=form.email.data, password=form.password.data, ip=ip, permitted=permitted)
    s.commit()
    if user is None:
        error = "That email and password do not match an active account."
        if policy.passwords_off():  # one answer, whether the address is a break-glass admin's or not
            error = PASSWORDS_OFF.format(name=oidc.provider_name())
        return render_template("accounts/login.html", form=form, error=error), 401
    account = start_session(s, user)
    return redirect(safe_next(request.args.get("next")) or home_url(account))


@bp.post("/logout")
@login_required
def logout():
    s = db.session()
    user = s.get(User, current_user.id)
    services.end_sessions(user)
    audit.record(s, "logout", user.email)
    s.commit()
    provider_sign_out = oidc.sign_out_url()  # before the session that says how they came is cleared
    logout_user()
    session.clear()
    if provider_sign_out:  # the sign-in page says it, with the way out of the provider too
        session["provider_sign_out"] = provider_sign_out
    else:
        flash("You have signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """The one-time link of an invitation or a password reset: choose a password, then sign in."""
    s = db.session()
    try:
        user = services.user_for_link(s, token)
    except AccountError as error:
        return render_template("accounts/link_invalid.html", message=str(error)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(s, user, form.password.data)
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            s.commit()
            logout_user()
            session.clear()
            flash("Your password is set. Sign in with your email and the new password.", "success")
            return redirect(url_for("accounts.login", email=user.email))
    status = 400 if form.errors else 200
    return render_template("accounts/welcome.html", form=form, user=user), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    s = db.session()
    user = s.get(User, current_user.id)
    profile = ProfileForm(prefix="profile", display_name=user.display_name)
    password = ChangePasswordForm(prefix="password")
    if "profile-display_name" in request.form and profile.validate_on_submit():
        services.update_profile(s, user, display_name=profile.display_name.data)
        s.commit()
        flash("Your name is saved.", "success")
        return redirect(url_for("accounts.account"))
    if "password-password" in request.form and password.validate_on_submit():
        try:
            services.change_password(s, user, current=password.current_password.data, new=password.password.data)
        except AccountError as error:
            getattr(password, error.field or "password").errors.append(str(error))
        else:
            s.commit()
            start_session(s, user)  # the old token is gone: keep this browser signed in with the new one
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("accounts.account"))
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and not profile.errors and not password.errors:
        flash("Nothing was sent to save: fill in your name or the password fields.", "error")
    return render_account(user, profile=profile, password=password, status=status)


def render_account(
    user,
    *,
    profile=None,
    password=None,
    token_form=None,
    new_token=None,
    time_zone_error=None,
    team_error=None,
    team=None,
    status=200,
):
    return render_template(
        "accounts/account.html",
        user=user,
        status=status,
        profile=profile or ProfileForm(prefix="profile", display_name=user.display_name),
        password=password or ChangePasswordForm(prefix="password"),
        token_form=token_form or TokenForm(prefix="token"),
        new_token=new_token,
        tokens=tokens.tokens_of(db.session(), user.id),
        expiry_of=tokens.expires,
        now=utcnow(),
        revoke_form=ActionForm(),
        time_zone_error=time_zone_error,
        team_error=team_error,
        team=(user.team or "") if team is None else team,  # after a refusal, what was typed
        credentials=credentials_of(db.session(), user.id),
    ), status


@bp.post("/account/reminders")
@login_required
def set_reminders():
    """The checkbox comes after a hidden "0": a ticked box sends "0" then "1", the last one counts."""
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    sent = request.form.getlist("reminders")
    enabled = flag_or_400(sent[-1] if sent else None, "send you reminders")
    s = db.session()
    services.set_reminders(s, s.get(User, current_user.id), enabled=enabled)
    s.commit()
    flash("You will get reminders when you fall behind." if enabled else "You will get no reminders.", "success")
    return redirect(url_for("accounts.account") + "#reminders")


@bp.post("/account/tokens")
@login_required
def create_token():
    s = db.session()
    user = s.get(User, current_user.id)
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            if form.expires.data == "date":  # the day the person picked ends in their time zone
                ends = tokens.expiry(until=form.expires_on.data, zone=reader_zone())
            else:
                ends = tokens.expiry(days=int(form.expires.data))
            token, _ = tokens.create_token(s, user=user, name=form.name.data, scope=form.scope.data, expires_at=ends)
        except tokens.TokenError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            s.commit()
            return render_account(user, new_token=token, token_form=TokenForm(prefix="token", formdata=None))
    return render_account(user, token_form=form, status=400)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    s = db.session()
    if not ActionForm().validate_on_submit():
        flash("This form has expired; reload the page and try again.", "error")
        return redirect(url_for("accounts.account") + "#tokens")
    try:
        row = tokens.revoke_token(s, user_id=current_user.id, token_id=token_id)
    except tokens.TokenError as error:
        abort(404, description=str(error))
    else:
        s.commit()
        flash(f"The token “{row.name}” is revoked; programs using it are refused from now on.", "success")
    return redirect(url_for("accounts.account") + "#tokens")


@bp.post("/account/time-zone")
@login_required
def set_time_zone():
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    s = db.session()
    user = s.get(User, current_user.id)
    try:
        services.set_time_zone(s, user, name=request.form.get("time_zone", "")[:100])
    except ValueError as refused:
        s.rollback()
        return render_account(s.get(User, current_user.id), time_zone_error=str(refused), status=400)
    s.commit()
    flash("Times are now shown in your time zone.", "success")
    return redirect(url_for("accounts.account") + "#time-zone")


@bp.post("/account/team")
@login_required
def set_team():
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    s = db.session()
    user = s.get(User, current_user.id)
    typed = request.form.get("team", "")
    try:
        services.set_team(s, user, team=typed)
    except ValueError as refused:
        s.rollback()
        return render_account(s.get(User, current_user.id), team_error=str(refused), team=typed, status=400)
    s.commit()
    flash(f"Your team is saved: {user.team}." if user.team else "Your team is cleared.", "success")
    return redirect(url_for("accounts.account") + "#team")

"""The admin's page for provisioning: the tokens identity providers send to /scim/v2, made and revoked here."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import db
from ..identity import provisioning_tokens as tokens
from ..identity import queries
from ..learning.forms import ActionForm
from ..links import external_path
from ..models import User
from ..policy import admins_only
from .forms import ProvisioningTokenForm
from .views import bp


def tokens_page(form: ProvisioningTokenForm | None = None, *, new_token: str | None = None, status: int = 200):
    return render_template(
        "admin/provisioning.html",
        tokens=queries.provisioning_tokens(db.session()),
        form=form or ProvisioningTokenForm(),
        revoke_form=ActionForm(),
        new_token=new_token,
        scim_url=external_path("/scim/v2"),
    ), status


@bp.get("/provisioning")
@admins_only
def provisioning_tokens():
    return tokens_page()


@bp.post("/provisioning")
@admins_only
def new_provisioning_token():
    """The token is on the answering page only: it is stored as a hash, and never shown again."""
    form = ProvisioningTokenForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            token, row = tokens.create_provisioning_token(
                s, name=form.name.data, created_by=s.get(User, current_user.id)
            )
        except tokens.ProvisioningTokenError as error:
            form.name.errors.append(str(error))
        else:
            s.commit()
            return tokens_page(ProvisioningTokenForm(formdata=None), new_token=token)
    return tokens_page(form, status=400)


@bp.post("/provisioning/<int:token_id>/revoke")
@admins_only
def revoke_provisioning_token(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again. Nothing was changed.")
    s = db.session()
    try:
        row = tokens.revoke_provisioning_token(s, token_id)
    except tokens.ProvisioningTokenError as error:
        abort(404, description=str(error))
    s.commit()
    flash(f"The token “{row.name}” is revoked: the identity provider holding it is refused from now on.", "success")
    return redirect(url_for("admin.provisioning_tokens"))

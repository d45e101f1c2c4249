"""``/sandbox/...``: the control API tests and the demo drive (no auth, not rate counted)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from sandbox import gpx
from sandbox.errors import bad_request
from sandbox.views.common import json_body
from sandbox.views.common import sandbox_state

bp = Blueprint("control", __name__, url_prefix="/sandbox")

# Longest a client may block on GET /sandbox/webhooks?wait=1.
MAX_WAIT_S = 30.0


@bp.get("/health")
def health() -> Any:
    return jsonify({"ok": True})


@bp.post("/reset")
def reset() -> Any:
    sandbox_state().reset()
    return jsonify({"ok": True})


@bp.post("/athletes")
def create_athlete() -> Any:
    return jsonify(sandbox_state().accounts.create_athlete(json_body())), 201


@bp.post("/athletes/<int:athlete_id>/expire")
def expire_athlete(athlete_id: int) -> Any:
    return jsonify(sandbox_state().accounts.expire(athlete_id))


@bp.post("/athletes/<int:athlete_id>/code")
def new_code(athlete_id: int) -> Any:
    scope = json_body().get("scope")
    return jsonify(sandbox_state().accounts.authorize(athlete_id, scope)), 201


def _uploaded_fields() -> tuple[Any, dict[str, Any]]:
    """The owner and the fields of a multipart GPX upload (form fields override)."""
    upload = request.files["file"]
    form = request.form.to_dict()
    try:
        fields = gpx.activity_fields_from_gpx(upload.read(), upload.filename)
    except gpx.GpxError as error:
        raise bad_request("Upload", "file", str(error)) from None
    fields["upload_id"] = secrets.randbits(40)
    fields["upload_id_str"] = str(fields["upload_id"])
    fields.update({k: v for k, v in form.items() if k != "athlete_id" and v != ""})
    return form.get("athlete_id"), fields


@bp.post("/activities")
def create_activity() -> Any:
    if "file" in request.files:
        athlete_id, fields = _uploaded_fields()
    else:
        body = json_body()
        athlete_id = body.get("athlete_id")
        fields = body.get("activity") or {}
        if not isinstance(fields, dict):
            raise bad_request("Activity", "activity", "invalid")
    try:
        owner = int(athlete_id)
    except (TypeError, ValueError):
        raise bad_request("Athlete", "athlete_id", "missing") from None
    return jsonify(sandbox_state().activities.create(owner, fields)), 201


@bp.get("/activities")
def stored_activities() -> Any:
    athlete_id = request.args.get("athlete_id", type=int)
    return jsonify(sandbox_state().activities.stored_all(athlete_id))


@bp.get("/activities/<int:activity_id>")
def stored_activity(activity_id: int) -> Any:
    return jsonify(sandbox_state().activities.stored(activity_id))


@bp.patch("/activities/<int:activity_id>")
def patch_activity(activity_id: int) -> Any:
    return jsonify(sandbox_state().activities.patch(activity_id, json_body()))


@bp.delete("/activities/<int:activity_id>")
def delete_activity(activity_id: int) -> Any:
    sandbox_state().activities.delete(activity_id)
    return Response(status=204)


@bp.post("/hooks")
def add_hook() -> Any:
    return jsonify(sandbox_state().activities.add_hook(json_body())), 201


@bp.get("/faults")
def get_faults() -> Any:
    return jsonify(sandbox_state().faults.describe())


@bp.post("/faults")
def set_faults() -> Any:
    return jsonify(sandbox_state().faults.change(json_body()))


@bp.get("/stats")
def stats() -> Any:
    return jsonify(sandbox_state().traffic.stats_body())


@bp.post("/stats/reset")
def reset_stats() -> Any:
    traffic = sandbox_state().traffic
    traffic.reset_stats()
    return jsonify(traffic.stats_body())


@bp.get("/webhooks")
def webhooks() -> Any:
    """The delivery log; ``?wait=1[&timeout=S]`` first waits until nothing is pending."""
    dispatcher = sandbox_state().webhooks
    idle = True
    if request.args.get("wait") not in (None, "", "0", "false"):
        timeout = min(MAX_WAIT_S, request.args.get("timeout", 10.0, type=float))
        idle = dispatcher.wait_idle(timeout)
    return jsonify(
        {"idle": idle, "pending": dispatcher.pending(), "deliveries": dispatcher.deliveries()}
    )

"""``/api/v3/...``: the athlete, activities and push subscriptions, in Strava's shapes.

Paths and answers follow https://developers.strava.com/docs/reference/ and, for push
subscriptions, https://developers.strava.com/docs/webhooks/.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from sandbox.views.common import access_token
from sandbox.views.common import json_body
from sandbox.views.common import params
from sandbox.views.common import sandbox_state

bp = Blueprint("api", __name__, url_prefix="/api/v3")


def _athlete_id() -> int:
    return sandbox_state().accounts.authenticate(access_token())


@bp.get("/athlete")
def get_athlete() -> Any:
    return jsonify(sandbox_state().accounts.profile(_athlete_id()))


@bp.get("/activities/<int:id>")
def get_activity(id: int) -> Any:  # Strava names it {id}
    return jsonify(sandbox_state().activities.api_get(_athlete_id(), id))


@bp.put("/activities/<int:id>")
def put_activity(id: int) -> Any:
    athlete_id = _athlete_id()
    body = json_body() if request.is_json else request.form.to_dict()
    return jsonify(sandbox_state().activities.api_update(athlete_id, id, body))


@bp.get("/athlete/activities")
def list_activities() -> Any:
    athlete_id = _athlete_id()
    return jsonify(sandbox_state().activities.api_list(athlete_id, request.args.to_dict()))


@bp.post("/push_subscriptions")
def create_subscription() -> Any:
    return jsonify(sandbox_state().subscriptions.create(params())), 201


@bp.get("/push_subscriptions")
def list_subscriptions() -> Any:
    return jsonify(sandbox_state().subscriptions.listed(params()))


@bp.delete("/push_subscriptions/<int:id>")
def delete_subscription(id: int) -> Any:
    sandbox_state().subscriptions.delete(id, params())
    return Response(status=204)

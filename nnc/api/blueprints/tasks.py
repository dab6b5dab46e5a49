"""/api/tasks: the task list with filters, one task, its audit trace, its round timeline."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import tasks as service
from nnc.api.context import current_context
from nnc.api.rounds import task_rounds
from nnc.api.validation import parse_page, parse_task_filters, parse_task_id

tasks = Blueprint("tasks", __name__, url_prefix="/api/tasks")


@tasks.get("")
def list_tasks() -> Response:
    return jsonify(service.list_tasks(current_context(), parse_task_filters(request.args), parse_page(request.args)))


@tasks.get("/<task_id>")
def get_task(task_id: str) -> Response:
    return jsonify(service.get_task(current_context(), parse_task_id(task_id)))


@tasks.get("/<task_id>/trace")
def task_trace(task_id: str) -> Response:
    return jsonify(service.task_trace(current_context(), parse_task_id(task_id)))


@tasks.get("/<task_id>/rounds")
def rounds(task_id: str) -> Response:
    return jsonify(task_rounds(current_context(), parse_task_id(task_id)))

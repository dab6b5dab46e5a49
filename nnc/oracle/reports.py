"""The oracle's quality reports: which model of a submitted task is evaluated (the strict
majority's, once one of its nodes revealed where it lives), and sending its score
(`reportQuality`) once the evaluation pool (`nnc.oracle.evaluation`) has it."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.types import Bond
from nnc.errors import ContractRevertError
from nnc.oracle.evaluation import EvaluationJob, Evaluations
from nnc.oracle.index import EventIndex
from nnc.oracle.scores import Quality

# the oracle daemon's lines: operators filter on its logger
log = logging.getLogger("nnc.oracle.daemon")


def majority_job(index: EventIndex, market: Market, row: dict[str, Any]) -> EvaluationJob | None:
    """The evaluation of a submitted task's majority result; None while there is none to evaluate
    (no strict majority: a tie settles at the neutral score; or no node of the majority revealed
    where its model lives yet)."""
    task_id = int(row["task_id"])
    # the active results: nodes that dropped out or were slashed are not counted
    nodes = [n for n in index.task_nodes(task_id)
             if n["result_digest"] and not n["dropped"] and n["bond"] == Bond.LOCKED.name]
    digests = Counter(n["result_digest"] for n in nodes)
    if not digests:
        return None
    digest, votes = digests.most_common(1)[0]
    if votes * 2 <= len(nodes):
        return None
    model_uri = next((n["result_uri"] for n in nodes if n["result_digest"] == digest and n["result_uri"]), None)
    if model_uri is None:
        return None
    return EvaluationJob(task_id=task_id, spec_uri=row["spec_uri"], spec_digest=row["spec_digest"],
                         model_uri=model_uri, result_digest=digest, tag_key=market.agreement_key(task_id),
                         report_by=market.task(task_id).challenge_ends_at)


def send_report(client: ChainClient, market: Market, evaluations: Evaluations, task_id: int,
                quality: Quality) -> bool:
    """Sends one finished evaluation's `reportQuality` and records the outcome in the ledger; True
    if it went through. One the chain refuses (the challenge window closed, or the task moved on)
    is a warning naming why, and is not sent again."""
    try:
        market.report_quality(task_id, quality.score, quality.accepted)
        if not quality.accepted and not market.rejection_stands(task_id):
            log.warning("task %d: below the acceptance threshold, but its hidden labels are committed and \"not met\" "
                        "is not proven: the rejection is void at settlement (an acceptance proof is needed)", task_id)
    except ContractRevertError as exc:
        evaluations.mark(task_id, "refused", str(exc))
        if exc.name == "DeadlinePassed":
            log.warning("task %d: quality %d/10000 ready too late: the challenge window closed at %s "
                        "(chain time now %d); the task settles at the default score", task_id,
                        quality.score, exc.args_by_name.get("deadline"), client.block_timestamp())
        elif exc.name == "InvalidStatus":
            log.warning("task %d: quality %d/10000 ready after the task left Submitted: not reported (%s)",
                        task_id, quality.score, exc)
        else:
            log.warning("task %d: quality not reported (settles at the default score): %s", task_id, exc)
        return False
    evaluations.mark(task_id, "reported")
    log.info("task %d: quality %d/10000 reported (%s)", task_id, quality.score,
             "accepted" if quality.accepted else "rejected: below the spec's acceptance threshold")
    return True

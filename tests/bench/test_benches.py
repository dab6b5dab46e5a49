"""Every bench in bench/ runs in its `--quick` mode, so a protocol change that breaks one fails
`make test` instead of rotting unnoticed.

Each bench runs as a script in a subprocess (as a reader would run it, from the repository root)
and must exit 0 and print, as its last line, one JSON object with the keys its docstring
documents. Quick sizes make the figures meaningless; only the path and the keys are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300  # each takes seconds on a 2-core machine: this only catches a hang

# The last line's top-level keys, per bench (size-dependent key names are those of --quick's sizes).
KEYS: dict[str, set[str]] = {
    "api": {"api_p99_ms", "routes", "tasks", "events", "ingest_s"},
    "cli_startup": {"cli_help_s", "bare_python_s", "cli_help_raw_s", "ratio", "group_help_s"},
    "gpu": {"cuda_available", "steps", "cpu_steps_per_s"},  # the GPU figures only where CUDA is
    "crosschain": {"gas_ratio_crosschain_over_home", "gas_crosschain", "gas_home_task", "gas_crosschain_total",
                   "gas_home_total", "publish_to_assign_s_median", "home_publish_to_assign_s_median",
                   "added_latency_s_median", "publish_to_assign_s", "samples", "devnet_up_s", "core_deploy_s",
                   "relayer_ready_s", "relayer_restarts", "hand_deliveries"},
    "distributed": {"nodes", "inner_steps", "batch_size", "samples", "inner_lr", "single_node_eval_loss",
                    "by_nodes", "round_overhead_fraction", "loss_ratio_vs_single_node", "delta_bytes", "state_bytes",
                    "train_step_seconds", "k64_exchange_seconds_100mbit", "k64_exchange_seconds_1gbit"},
    "gas": {"gas", "assign_gas", "assign_gas_ratio_by_strategy", "assign_gas_ratio_10_over_10"},
    "inference": {"inputs", "shards", "checked_shards", "fabricated_shards", "seconds", "inference_overhead_ratio",
                  "inference_overhead_ratio_cold", "inference_overhead_ratio_in_process",
                  "inference_verification_cost_fraction", "detection_fabricated_outputs",
                  "detection_fabricated_outputs_analytic", "detection_real_trials"},
    "load": {"tasks", "workers", "tasks_final", "tasks_stuck", "conservation_ok", "tasks_per_min",
             "oracle_lag_p50_blocks", "oracle_lag_p99_blocks", "unscored_settled", "oracle_late_reports",
             "rss_start_mb", "rss_end_mb", "rss_growth_mb", "oracle_rss_growth_mb", "publish_interval_s",
             "by_status", "cancelled", "conservation", "challenge_window_s", "oracle_lag_samples", "seconds",
             "cancel_lost", "adversaries", "rss_samples_mb", "oracle_rss_samples_mb", "daemons_ready_s",
             "report_delay_p50_s", "report_delay_max_s"},
    "lifecycle": {"nodes", "gas", "lifecycle_gas_eth", "seconds", "chain_to_training_time_ratio"},
    "node_ddp": {"inner_steps", "batch_size", "rounds", "ddp_round_seconds", "ddp_train_seconds", "ddp_spawn_seconds",
                 "ddp_overhead_fraction_kept", "ddp_overhead_fraction_spawned", "ddp_bitwise_repeat",
                 "ddp_max_abs_diff_vs_single_process"},
    "program_overhead": {"program_overhead_ratio", "program_plain_seconds", "program_worker_seconds",
                         "program_steps", "program_rounds"},
    "runtimes": {"steps", "rounds", "runtimes", "max_layer_overhead_ratio"},
    "storage": {"backends", "peak_mem_mb_over_baseline_1mb"},
    "video": {"clips", "dataset_mb", "steps", "batch_size", "train_seconds", "clips_per_second",
              "peak_rss_mb_over_start", "peak_rss_fraction_of_dataset"},
    "verification": {
        "tasks_per_kind", "segments", "segments_per_task", "detection_lazy", "detection_copier",
        "detection_noisy", "false_positive_rate", "verification_cost_fraction",
        "verification_cost_fraction_small_tasks", "replayed_step_fraction", "onchain_tasks_per_kind",
        "onchain_outcomes", "gas",
    },
    "worker_overhead": {"steps", "seconds", "worker_overhead_ratio", "sandboxed_overhead_ratio",
                        "standby_overhead_ratio"},
    "checkpoint_stall": {"checkpoint_inline_ms", "checkpoint_loop_ms", "checkpoint_stall_fraction",
                         "checkpoint_parameters"},
    "workloads": {"stream_1gib_peak_mem_mb", "stream_seconds", "stream_mb_s", "program_overhead_ratio",
                  "program_plain_seconds", "program_worker_seconds", "program_steps", "program_rounds"},
    "zk": {
        "prove_s_cold", "prove_s_warm", "prove_s_warm_max", "verify_py_s", "acceptance_prove_s_warm",
        "acceptance_prove_s",
        "submit_gas_per_replica", "calldata_bytes", "calldata_gas", "single_proof_floor", "submit_gas_ratio",
        "challenge_gas",
    },
}


def test_every_bench_is_covered() -> None:
    assert {p.stem for p in (ROOT / "bench").glob("*.py")} == set(KEYS)


def run_quick(name: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"bench/{name}.py --quick exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"bench/{name}.py --quick printed nothing"
    result = json.loads(lines[-1])
    assert isinstance(result, dict)
    return result


@pytest.mark.timeout(TIMEOUT_S + 60)
@pytest.mark.parametrize("name", sorted(KEYS))
def test_bench_quick(name: str) -> None:
    result = run_quick(name)
    if name == "gpu":  # its GPU figures where CUDA is, else the reason they are absent
        extra = {"reason"} if not result["cuda_available"] else {"gpu_overhead_ratio", "cpu_cuda_replay_distance",
                                                                 "cuda_bitwise_agreement", "cuda_steps_per_s"}
        assert KEYS[name] | extra <= set(result), f"bench/gpu.py: keys {sorted(result)}"
        assert "gpu_overhead_ratio" in result or "reason" in result
        return
    assert set(result) == KEYS[name], f"bench/{name}.py: keys {sorted(result)}, expected {sorted(KEYS[name])}"
    if name == "runtimes":
        assert "torch" in result["runtimes"]
        for figures in result["runtimes"].values():
            assert {"seconds_per_step", "train_seconds", "layer_overhead_ratio", "throughput_vs_torch"} <= set(figures)
    if name == "gas":  # what nodes pay: results go in as zero-knowledge proofs (submitResult reverts)
        assert "submitProof" in result["gas"] and "submitResult" not in result["gas"]
    if name == "load":  # every task final, every token's deposits accounted for to the wei
        assert result["tasks_stuck"] == 0 and result["conservation_ok"] is True, result
        assert result["cancelled"] == 1 and result["by_status"].get("cancelled") == 1, result
        tampered = result["adversaries"]["tampered"]  # the oracle challenged the tampered proof: slashed
        assert tampered["tasks"] + result["adversaries"]["not_assigned"] == 1, result
        assert tampered["bonds"] == ({"slashed": 1} if tampered["tasks"] else {}), result
    if name == "storage":
        assert set(result["backends"]) == {"local", "ipfs", "arweave"}

"""Run one policy job or gpu node without Temporal: ``python -m autocode_gpu.jobs <job> <input JSON>``.

Here rather than in ``policy.py`` because it also runs ``behavior.py``'s job and the node kinds,
and ``policy.py`` imports neither. Progress goes to stderr as JSON lines, the output to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .behavior import run_behavior_logprobs
from .nodes import NODES
from .policy import run_logprobs
from .supervise import run as ranked
from .wire import validate

JOBS = {
    # hyper.ranks > 1 runs these under torchrun (supervise.py); unset or 1, in this process.
    "sft": lambda payload, progress: ranked("sft", payload, progress),
    "update": lambda payload, progress: ranked("update", payload, progress),
    "logprobs": run_logprobs,
    "behavior": run_behavior_logprobs,
    **NODES,  # NodeRequest in, NodeResult out (validated by the node entry)
    "policy_update": lambda payload, progress: ranked("policy_update", payload, progress),
}
OUTPUT_TYPES = {
    "sft": "PolicyTrainOutput",
    "update": "PolicyTrainOutput",
    "logprobs": "PolicyLogprobsOutput",
    "behavior": "BehaviorLogprobsOutput",
    **{uses: "NodeResult" for uses in NODES},
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="Run a policy job without Temporal; progress as JSON lines on stderr."
    )
    p.add_argument("job", choices=sorted(JOBS))
    p.add_argument("input", help="the job's input JSON (schemas/policy.ts, or a NodeRequest), or @file.json")
    a = p.parse_args(argv)
    text = Path(a.input[1:]).read_text() if a.input.startswith("@") else a.input

    def report(d: dict[str, Any]) -> None:
        print(json.dumps(d), file=sys.stderr, flush=True)

    result = JOBS[a.job](json.loads(text), report)
    print(json.dumps(validate(OUTPUT_TYPES[a.job], result)), flush=True)


if __name__ == "__main__":
    main()

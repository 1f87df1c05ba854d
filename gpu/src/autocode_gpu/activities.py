"""Every activity the Python worker registers on task queue ``gpu``."""

from .policy_activities import behavior_logprobs, policy_load, policy_logprobs, policy_sft, policy_update
from .smoke import gpu_echo

ACTIVITIES = [gpu_echo, policy_load, policy_sft, policy_update, policy_logprobs, behavior_logprobs]

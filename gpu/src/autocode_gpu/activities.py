"""Every activity the Python worker registers on task queue ``gpu``."""

from .smoke import gpu_echo

ACTIVITIES = [gpu_echo]

"""Non-retryable failures of the policy worker: bad input that a retry cannot fix."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError


def bad_input(message: str, type: str = "InvalidInput") -> ApplicationError:
    """An error Temporal will not retry; ``message`` names the field, file or id at fault."""
    return ApplicationError(message, type=type, non_retryable=True)


def bad_checkpoint(message: str) -> ApplicationError:
    return ApplicationError(message, type="BadCheckpoint", non_retryable=True)


def bad_dataset(message: str) -> ApplicationError:
    return ApplicationError(message, type="BadDataset", non_retryable=True)

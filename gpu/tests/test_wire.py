import pytest
from temporalio.exceptions import ApplicationError

from autocode_gpu.wire import validate


def test_valid_payload_passes_through() -> None:
    payload = {"message": "hi", "work_seconds": 0.5}
    assert validate("GpuEchoInput", payload) is payload


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"message": "hi", "work_seconds": -1}, "work_seconds"),
        ({"message": "hi"}, "(root)"),
        ({"message": "hi", "work_seconds": 1, "workSeconds": 1}, "(root)"),
        ({"message": 3, "work_seconds": 1}, "message"),
    ],
)
def test_invalid_payload_is_non_retryable_and_names_the_field(payload: dict, where: str) -> None:
    with pytest.raises(ApplicationError) as err:
        validate("GpuEchoInput", payload)
    assert err.value.non_retryable
    assert f"at {where}:" in str(err.value)

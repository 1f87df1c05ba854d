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


def test_update_defaults_are_the_authors_optimizer() -> None:
    from autocode_gpu.wire import with_defaults

    req = with_defaults("PolicyUpdateInput", {"policy": {"uri": "/x"}, "train": TRAIN_REF})
    h = req["hyper"]
    # 128 sequences per optimizer step, AdamW beta2 0.999, no weight decay, per-sample token mean.
    assert h["batch_size"] * h["grad_accum"] == 128
    assert (h["beta1"], h["beta2"], h["weight_decay"]) == (0.9, 0.999, 0)
    assert h["loss_reduction"] == "sample_mean" and h["lr"] == 2e-5 and "lr_later" not in h
    assert req["iteration"] == 1
    sft = with_defaults("PolicySftInput", {"demonstrations": TRAIN_REF})["hyper"]
    assert sft["loss_reduction"] == "token_mean"


TRAIN_REF = {
    "kind": "train",
    "key": "0" * 64,
    "uri": "/store/train/k",
    "sha256": "0" * 64,
    "rows": 1,
    "schema_version": 1,
}

"""The embedded server over real HTTP on 127.0.0.1: protocol, log-probs, stop strings, reload, bad input."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.engine import Engine
from autocode_gpu.server import PolicyServer
from autocode_gpu.wire import first_error

PROMPTS = [
    "User: What is 12 + 7? Let's write a program.\nAssistant:",
    "User: What is 3 + 4?\nAssistant:",
    "User: What is 45 + 6? Let's reason step by step.\nAssistant: 45",
]


def post(url: str, body: object, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server(ckpt_a: Path):
    srv = PolicyServer(Engine(ckpt_a, "cpu", "float32", max_batch_size=8), "policy")
    srv.start("127.0.0.1", 0)
    yield srv
    srv.stop()


def direct_logprobs(model, prompt_ids: list[int], out_ids: list[int]) -> list[float]:
    ids = torch.tensor([prompt_ids + out_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits.float(), -1)[0]
    return [float(logp[len(prompt_ids) - 1 + k, t]) for k, t in enumerate(out_ids)]


def completion(server: PolicyServer, **body) -> dict:
    status, out = post(f"{server.url}/v1/completions", {"model": "policy", **body})
    assert status == 200, out
    assert first_error("CompletionResponse", out) is None, first_error("CompletionResponse", out)
    return out


def test_served_logprobs_equal_a_direct_forward_pass(server: PolicyServer, ckpt_a: Path) -> None:
    model, tok = load_policy(ckpt_a, "cpu", "float32")
    prompts = [tok(p)["input_ids"] for p in PROMPTS]
    # Concurrent requests of different lengths share left-padded batches; rows leave as they finish.
    with ThreadPoolExecutor(len(prompts)) as pool:
        outs = list(
            pool.map(
                lambda ids: completion(
                    server,
                    prompt=ids,
                    n=2,
                    max_tokens=6 + len(ids) % 5,
                    temperature=1.0,
                    logprobs=0,
                    return_token_ids=True,
                    seed=7,
                ),
                prompts,
            )
        )
    for ids, out in zip(prompts, outs, strict=True):
        assert len(out["choices"]) == 2
        for choice in out["choices"]:
            assert choice["prompt_token_ids"] == ids
            gen = choice["token_ids"]
            assert len(gen) == len(choice["logprobs"]["token_logprobs"]) > 0
            want = direct_logprobs(model, ids, gen)
            got = choice["logprobs"]["token_logprobs"]
            assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-4
        assert out["usage"]["completion_tokens"] == sum(len(c["token_ids"]) for c in out["choices"])


def test_seed_repeats_and_text_prompts_match_token_prompts(server: PolicyServer) -> None:
    a = completion(server, prompt=PROMPTS[0], n=3, max_tokens=8, seed=11, return_token_ids=True)
    b = completion(server, prompt=PROMPTS[0], n=3, max_tokens=8, seed=11, return_token_ids=True)
    assert [c["token_ids"] for c in a["choices"]] == [c["token_ids"] for c in b["choices"]]
    assert len({tuple(c["token_ids"]) for c in a["choices"]}) > 1  # the n samples differ
    ids = a["choices"][0]["prompt_token_ids"]
    c = completion(server, prompt=ids, n=3, max_tokens=8, seed=11, return_token_ids=True)
    assert [x["token_ids"] for x in c["choices"]] == [x["token_ids"] for x in a["choices"]]


def test_top_logprobs_and_greedy(server: PolicyServer) -> None:
    out = completion(server, prompt=PROMPTS[1], max_tokens=5, temperature=0, logprobs=3, ignore_eos=True)
    lp = out["choices"][0]["logprobs"]
    assert out["choices"][0]["finish_reason"] == "length"
    for token, logprob, top in zip(lp["tokens"], lp["token_logprobs"], lp["top_logprobs"], strict=True):
        # Greedy: the chosen token is the most likely one, so it leads its top alternatives.
        assert logprob == pytest.approx(max(top.values()), abs=1e-6)
        assert token in top and len(top) <= 3


def test_stop_string_kept_or_cut(server: PolicyServer) -> None:
    free = completion(
        server, prompt=PROMPTS[2], max_tokens=24, temperature=0, ignore_eos=True, return_token_ids=True
    )
    text = free["choices"][0]["text"]
    assert len(text) >= 6
    stop = text[3:6]
    first = text.find(stop)
    kept = completion(
        server,
        prompt=PROMPTS[2],
        max_tokens=24,
        temperature=0,
        ignore_eos=True,
        stop=[stop, "\u2603"],
        include_stop_str_in_output=True,
        return_token_ids=True,
    )["choices"][0]
    assert kept["text"] == text[: first + len(stop)]
    assert kept["finish_reason"] == "stop" and kept["stop_reason"] == stop
    # The tokens end with the one that completed the stop string.
    assert kept["token_ids"] == free["choices"][0]["token_ids"][: len(kept["token_ids"])]
    assert server.engine.decode(kept["token_ids"]).startswith(kept["text"])
    assert not server.engine.decode(kept["token_ids"][:-1]).startswith(kept["text"])
    cut = completion(server, prompt=PROMPTS[2], max_tokens=24, temperature=0, ignore_eos=True, stop=stop)
    assert cut["choices"][0]["text"] == text[:first]


def test_tokenize_and_health(server: PolicyServer) -> None:
    status, out = post(f"{server.url}/tokenize", {"prompt": "12 + 345"})
    assert status == 200 and first_error("TokenizeResponse", out) is None
    assert out["tokens"] == server.engine.encode("12 + 345") and out["count"] == len(out["tokens"])
    # Digits are single tokens.
    assert len(server.engine.encode("12345")) == 5
    with urllib.request.urlopen(f"{server.url}/health", timeout=10) as r:
        assert r.status == 200 and json.loads(r.read())["status"] == "ok"


@pytest.mark.parametrize(
    ("body", "raw", "needle"),
    [
        (None, b"{not json", "not valid JSON"),
        ([1, 2], None, "JSON object"),
        ({"model": "policy", "prompt": "x", "n": 0}, None, "at n:"),
        ({"model": "policy", "prompt": [1, 99999]}, None, "token id 99999 is outside the vocabulary"),
        ({"model": "policy", "prompt": []}, None, "prompt is empty"),
        ({"model": "policy", "prompt": "x", "max_tokens": 100000}, None, "maximum context length"),
        ({"model": "policy", "prompt": "x", "stream": True}, None, "stream is not supported"),
        ({"prompt": "x"}, None, "model"),
    ],
)
def test_malformed_requests_get_400_and_the_server_keeps_serving(
    server: PolicyServer, body: object, raw: bytes | None, needle: str
) -> None:
    status, out = post(f"{server.url}/v1/completions", body, raw)
    assert status == 400
    assert first_error("ErrorResponse", out) is None
    assert needle in out["error"]["message"]
    assert completion(server, prompt="User: hi", max_tokens=2)["choices"][0]["index"] == 0


def test_reload_serves_the_new_weights_and_refuses_a_half_written_checkpoint(
    ckpt_a: Path, ckpt_b: Path, tmp_path: Path, store: Path
) -> None:
    srv = PolicyServer(Engine(ckpt_a, "cpu", "float32", max_batch_size=4), "policy")
    srv.start()
    try:
        model_b, tok = load_policy(ckpt_b, "cpu", "float32")
        ids = tok(PROMPTS[0])["input_ids"]
        body = {"prompt": ids, "max_tokens": 6, "temperature": 0, "logprobs": 0, "return_token_ids": True}
        before = completion(srv, **body)["choices"][0]
        status, out = post(f"{srv.url}/update_weights_from_disk", {"model_path": str(ckpt_b)})
        assert status == 200 and out["success"] is True, out
        after = completion(srv, **body)["choices"][0]
        want = direct_logprobs(model_b, ids, after["token_ids"])
        assert max(abs(a - b) for a, b in zip(after["logprobs"]["token_logprobs"], want, strict=True)) < 1e-4
        assert after["logprobs"]["token_logprobs"] != before["logprobs"]["token_logprobs"]

        half = store / "checkpoints" / "half-written"
        shutil.copytree(ckpt_b, half)
        (half / "_manifest.json").unlink()
        status, out = post(f"{srv.url}/update_weights_from_disk", {"model_path": str(half)})
        assert status == 400 and out["success"] is False and "half-written" in out["message"]
        status, out = post(f"{srv.url}/update_weights_from_disk", {"model_path": str(tmp_path / "nope")})
        assert status == 400 and "does not exist" in out["message"]
        still = completion(srv, **body)["choices"][0]
        assert still["token_ids"] == after["token_ids"]
    finally:
        srv.stop()


# A small chat template written for the test: role tags, one line per message, then the generation prompt.
CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)


@pytest.fixture(scope="module")
def chat_server(store: Path, tokenizer):
    import copy

    from conftest import make_checkpoint

    templated = copy.deepcopy(tokenizer)
    templated.chat_template = CHAT_TEMPLATE
    srv = PolicyServer(Engine(make_checkpoint(templated, "tiny-chat", seed=2), "cpu", "float32", 4), "policy")
    srv.start("127.0.0.1", 0)
    yield srv
    srv.stop()


def test_tokenize_chat_messages_applies_the_tokenizers_template(chat_server: PolicyServer) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2 + 3? Let's write a program."},
    ]
    status, out = post(f"{chat_server.url}/tokenize", {"model": "policy", "messages": messages})
    assert status == 200 and first_error("TokenizeResponse", out) is None, out
    # The template rendered by hand; vLLM tokenizes the rendered chat without adding special tokens.
    rendered = "<system>Be brief.\n<user>What is 2 + 3? Let's write a program.\n<assistant>"
    assert out["tokens"] == chat_server.engine.encode(rendered, add_special_tokens=False)
    assert out["count"] == len(out["tokens"]) > 0
    status, bare = post(
        f"{chat_server.url}/tokenize", {"messages": messages[1:], "add_generation_prompt": False}
    )
    assert status == 200
    assert bare["tokens"] == chat_server.engine.encode(
        "<user>What is 2 + 3? Let's write a program.\n", add_special_tokens=False
    )


def test_tokenize_chat_without_a_template_is_refused_naming_the_tokenizer(
    server: PolicyServer, ckpt_a: Path
) -> None:
    status, out = post(f"{server.url}/tokenize", {"messages": [{"role": "user", "content": "hi"}]})
    assert status == 400 and first_error("ErrorResponse", out) is None
    assert str(ckpt_a) in out["error"]["message"] and "prompt.format" in out["error"]["message"]
    status, out = post(f"{server.url}/tokenize", {"messages": [{"role": "robot", "content": "hi"}]})
    assert status == 400 and "messages/0/role" in out["error"]["message"]

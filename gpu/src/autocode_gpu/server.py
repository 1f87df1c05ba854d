"""The embedded inference server: exactly the protocol pinned in schemas/inference.ts.

OpenAI-compatible ``POST /v1/completions`` with vLLM's token-id extensions, vLLM's ``POST /tokenize``
(text, or chat messages through the tokenizer's chat template), SGLang's ``POST /update_weights_from_disk``,
SGLang's ``GET /get_model_info``, ``GET /health`` and ``GET /v1/models``; the last three name the checkpoint
served and its weights version, so a caller can check that a reload took. Standard library HTTP (one
thread per connection); generation is batched across requests by the engine.

Run alone: ``python -m autocode_gpu.server --model var/store/checkpoints/<key> --port 8000``. As one
replica of the gpu worker's pool (:mod:`autocode_gpu.pool`): ``--announce`` prints one JSON line
``{"url", "pid"}`` once listening, and ``--exit-with-stdin`` ends the process when its stdin closes (the
worker holds the other end, so the server goes when the worker does, even after kill -9).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

from .engine import Engine, SamplingParams, Sequence, describe
from .paths import local_path
from .wire import first_error, with_defaults

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 << 20
# Options of the OpenAI/vLLM API this server does not implement: refused rather than silently ignored.
UNSUPPORTED = {
    "stream": lambda v: bool(v),
    "echo": lambda v: bool(v),
    "suffix": lambda v: v is not None,
    "logit_bias": lambda v: bool(v),
    "presence_penalty": lambda v: bool(v),
    "frequency_penalty": lambda v: bool(v),
    "repetition_penalty": lambda v: v not in (None, 1, 1.0),
    "min_tokens": lambda v: bool(v),
    "prompt_logprobs": lambda v: v is not None,
}


class RequestError(Exception):
    def __init__(self, message: str, status: int = 400, type: str = "BadRequestError") -> None:
        super().__init__(message)
        self.status, self.type = status, type


def _int_list(value: Any, field: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        raise RequestError(f"{field} must be a list of integers")
    return value


class PolicyServer:
    """An :class:`Engine` behind a ThreadingHTTPServer; ``start()`` serves from a background thread."""

    def __init__(self, engine: Engine, served_model_name: str = "policy") -> None:
        self.engine = engine
        self.served_model_name = served_model_name
        self.httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -----
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        server = self

        class Handler(_Handler):
            policy = server

        self.httpd = _HTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="policy-http", daemon=True)
        self._thread.start()
        return self.url

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        self.engine.close()

    # ----- endpoints -----
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "model": self.served_model_name, **describe(self.engine)}

    def models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": self.served_model_name,
                    "object": "model",
                    "created": 0,
                    "owned_by": "autocode",
                    "root": str(self.engine.checkpoint),
                    "max_model_len": self.engine.max_model_len,
                }
            ],
        }

    def model_info(self) -> dict[str, Any]:
        # SGLang's shape (model_path, tokenizer_path, is_generation), then what /health reports.
        path = str(self.engine.checkpoint)
        return {"model_path": path, "tokenizer_path": path, "is_generation": True, **describe(self.engine)}

    def tokenize(self, body: dict[str, Any]) -> dict[str, Any]:
        # vLLM's two forms: text (`prompt`), or chat `messages` rendered by the tokenizer's chat template.
        chat = isinstance(body, dict) and "messages" in body
        name = "TokenizeChatRequest" if chat else "TokenizeRequest"
        problem = first_error(name, body)
        if problem:
            raise RequestError(f"invalid tokenize request {problem}")
        req = with_defaults(name, body)
        if not chat:
            tokens = self.engine.encode(req["prompt"], add_special_tokens=req["add_special_tokens"])
        elif not self.engine.has_chat_template:
            raise RequestError(
                f"the tokenizer of {self.engine.checkpoint} has no chat template, so chat messages cannot be "
                "tokenized (prompt.format: chat needs a tokenizer with chat_template; use prompt.format: raw)"
            )
        else:
            try:
                tokens = self.engine.encode_chat(
                    req["messages"], req["add_generation_prompt"], req["add_special_tokens"]
                )
            except Exception as e:  # a template that raises (e.g. roles out of order) is the request's fault
                raise RequestError(f"the chat template of {self.engine.checkpoint} failed: {e}") from e
        return {"tokens": tokens, "count": len(tokens), "max_model_len": self.engine.max_model_len}

    def reload(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = first_error("ReloadRequest", body)
        if problem:
            return 400, {"success": False, "message": f"invalid reload request {problem}"}
        path = local_path(body["model_path"])
        try:
            self.engine.reload(path)
        except ApplicationError as e:
            return 400, {"success": False, "message": str(e)}
        except Exception as e:
            log.exception("reload failed")
            return 400, {"success": False, "message": f"checkpoint {path} does not load: {e}"}
        return 200, {
            "success": True,
            "message": f"loaded {path} (weights version {self.engine.weights_version})",
        }

    def _prompt_ids(self, prompt: str | list[int]) -> list[int]:
        if isinstance(prompt, str):
            ids = self.engine.encode(prompt, add_special_tokens=True)
        else:
            ids = list(prompt)
            vocab = self.engine.vocab_size
            bad = next((t for t in ids if t >= vocab), None)
            if bad is not None:
                raise RequestError(f"prompt token id {bad} is outside the vocabulary (size {vocab})")
        if not ids:
            raise RequestError("prompt is empty")
        return ids

    def completions(self, body: dict[str, Any]) -> dict[str, Any]:
        seqs, req, prompt_ids = self._queue_completion(body)
        for s in seqs:
            s.done.wait()
            if s.error is not None:
                raise s.error
        choices = [self._choice(i, s, req) for i, s in enumerate(seqs)]
        completion = sum(len(s.token_ids) for s in seqs)
        return {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self.served_model_name,
            "choices": choices,
            "usage": {
                "prompt_tokens": len(prompt_ids),
                "completion_tokens": completion,
                "total_tokens": len(prompt_ids) + completion,
            },
        }

    def _queue_completion(self, body: dict[str, Any]) -> tuple[list[Sequence], dict[str, Any], list[int]]:
        with self.engine.arriving():
            return self._parse_and_queue(body)

    def _parse_and_queue(self, body: dict[str, Any]) -> tuple[list[Sequence], dict[str, Any], list[int]]:
        problem = first_error("CompletionRequest", body)
        if problem:
            raise RequestError(f"invalid completion request {problem}")
        for name, refused in UNSUPPORTED.items():
            if name in body and refused(body[name]):
                raise RequestError(f"{name} is not supported by the embedded server")
        req = with_defaults("CompletionRequest", body)
        if req.get("best_of") not in (None, req["n"]):
            raise RequestError("best_of other than n is not supported by the embedded server")
        prompt_ids = self._prompt_ids(req["prompt"])
        limit = self.engine.max_model_len
        if len(prompt_ids) + req["max_tokens"] > limit:
            raise RequestError(
                f"This model's maximum context length is {limit} tokens; the prompt has {len(prompt_ids)} "
                f"and max_tokens asks for {req['max_tokens']} more"
            )
        stop = req.get("stop") or []
        stop = [stop] if isinstance(stop, str) else list(stop)
        top_k = req.get("top_k", -1)
        if not isinstance(top_k, int) or isinstance(top_k, bool):
            raise RequestError("top_k must be an integer (-1: off)")
        ignore_eos = req.get("ignore_eos", False)
        if not isinstance(ignore_eos, bool):
            raise RequestError("ignore_eos must be a boolean")
        stop_token_ids = _int_list(req.get("stop_token_ids") or [], "stop_token_ids")
        seqs = []
        for i in range(req["n"]):
            params = SamplingParams(
                max_tokens=req["max_tokens"],
                temperature=float(req["temperature"]),
                top_p=float(req["top_p"]),
                top_k=top_k,
                stop=stop,
                stop_token_ids=stop_token_ids,
                ignore_eos=ignore_eos,
                include_stop_str_in_output=bool(req.get("include_stop_str_in_output", False)),
                logprobs=req.get("logprobs"),
                # n samples of one seeded request differ from each other and repeat across calls.
                seed=None if req.get("seed") is None else int(req["seed"]) + i,
            )
            seqs.append(Sequence(prompt_ids=prompt_ids, params=params))
        self.engine.submit(seqs)
        return seqs, req, prompt_ids

    def _choice(self, index: int, s: Sequence, req: dict[str, Any]) -> dict[str, Any]:
        choice: dict[str, Any] = {
            "index": index,
            "text": s.text or "",
            "finish_reason": s.finish_reason,
            "stop_reason": s.stop_reason,
            "logprobs": None,
        }
        if s.params.logprobs is not None:
            tokens = self.engine.token_strings(s.token_ids)
            offsets, at = [], 0
            for t in tokens:
                offsets.append(at)
                at += len(t)
            top = []
            for alts in s.top_logprobs:
                names = self.engine.token_strings(list(alts))
                top.append(dict(zip(names, alts.values(), strict=True)))
            choice["logprobs"] = {
                "tokens": tokens,
                "token_logprobs": s.token_logprobs,
                "top_logprobs": top,
                "text_offset": offsets,
            }
        if req.get("return_token_ids"):
            choice["token_ids"] = s.token_ids
            choice["prompt_token_ids"] = s.prompt_ids
        return choice


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The rollout engine opens many connections at once; the default listen backlog (5) resets them.
    request_queue_size = 1024


class _Handler(BaseHTTPRequestHandler):
    policy: PolicyServer
    protocol_version = "HTTP/1.1"  # keep-alive: the rollout engine reuses connections
    server_version = "autocode-policy"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, type: str = "BadRequestError") -> None:
        self._send(status, {"error": {"message": message, "type": type, "code": status}})

    def _body(self) -> dict[str, Any]:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise RequestError("a JSON body with Content-Length is required", HTTPStatus.LENGTH_REQUIRED)
        if int(length) > MAX_BODY_BYTES:
            raise RequestError(
                f"request body over {MAX_BODY_BYTES} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise RequestError(f"request body is not valid JSON: {e}") from e
        if not isinstance(body, dict):
            raise RequestError("request body must be a JSON object")
        return body

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._send(200, self.policy.health())
        elif path == "/v1/models":
            self._send(200, self.policy.models())
        elif path == "/get_model_info":
            self._send(200, self.policy.model_info())
        else:
            self._error(404, f"no route GET {path}", "NotFoundError")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        routes = {"/v1/completions", "/tokenize", "/update_weights_from_disk"}
        try:
            body = self._body()  # read even for unknown routes so the connection stays usable
            if path not in routes:
                raise RequestError(f"no route POST {path}", 404, "NotFoundError")
            if path == "/v1/completions":
                self._send(200, self.policy.completions(body))
            elif path == "/tokenize":
                self._send(200, self.policy.tokenize(body))
            else:
                self._send(*self.policy.reload(body))
        except RequestError as e:
            self._error(int(e.status), str(e), e.type)
        except Exception as e:
            log.exception("request failed: POST %s", path)
            self._error(500, f"{type(e).__name__}: {e}", "InternalServerError")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="checkpoint directory")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--served-model-name", default="policy")
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="auto")
    p.add_argument("--max-batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--announce", action="store_true", help='print {"url", "pid"} as JSON once listening')
    p.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if a.threads > 0:
        import torch

        torch.set_num_threads(a.threads)
    engine = Engine(Path(a.model), a.device, a.dtype, a.max_batch_size)
    server = PolicyServer(engine, a.served_model_name)
    url = server.start(a.host, a.port)
    if a.announce:
        print(json.dumps({"url": url, "pid": os.getpid()}), flush=True)
    else:
        print(f"serving {a.model} as {a.served_model_name} on {url}", flush=True)
    if a.exit_with_stdin:
        # The parent holds the pipe's other end: end of file means it is gone (or asked us to stop).
        # Nothing here needs saving, and a clean interpreter exit with torch loaded takes seconds.
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

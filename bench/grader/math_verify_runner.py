"""Grades the corpus with math-verify, for bench/grader/run.ts to compare against.

Usage: math_verify_runner.py CORPUS.jsonl [WARMUP_CASES]. Writes one JSON object on stdout:
{"version", "seconds", "results": [{"id", "standard", "best", "extracted"}]}.

- standard: the documented usage — gold and final answers wrapped in $…$ (unless they already
  hold math delimiters), full responses parsed as they are; a choice-letter gold also enables
  StringExtractionConfig, as a user grading multiple choice would. This pass is the one timed
  (parse + verify only, after a warm-up, with the parse caches cleared).
- best: true when any of gold {$…$, raw} × answer {$…$, raw} verifies — the most generous
  harness, so math-verify's accuracy is not understated by the wrapping.
"""

import json
import re
import sys
import time
from importlib.metadata import version

from math_verify import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig, parse, verify
from math_verify import parser as mv_parser

LETTER = re.compile(r"^\(?[A-Z]\)?$")


def as_math(text: str) -> str:
    return text if "$" in text or "\\boxed" in text or "\\(" in text or "\\[" in text else f"${text}$"


def config(gold: str) -> list:
    if LETTER.match(gold.strip()):
        return [StringExtractionConfig(), LatexExtractionConfig(), ExprExtractionConfig()]
    return [LatexExtractionConfig(), ExprExtractionConfig()]


def standard(case: dict) -> tuple[bool, str | None]:
    gold_text = str(case["gold"])
    cfg = config(gold_text)
    gold = parse(as_math(gold_text), extraction_config=cfg)
    pred = parse(case["response"] if "response" in case else as_math(case["pred"]), extraction_config=cfg)
    return bool(verify(gold, pred)), (str(pred[-1]) if pred else None)


def best(case: dict) -> bool:
    gold_text = str(case["gold"])
    cfg = config(gold_text)
    golds = [parse(as_math(gold_text), extraction_config=cfg), parse(gold_text, extraction_config=cfg)]
    if "response" in case:
        preds = [parse(case["response"], extraction_config=cfg)]
    else:
        preds = [parse(as_math(case["pred"]), extraction_config=cfg), parse(case["pred"], extraction_config=cfg)]
    return any(bool(verify(g, p)) for g in golds for p in preds)


def clear_caches() -> None:
    for name in ("parse_latex_cached", "parse_expr_cached"):
        fn = getattr(mv_parser, name, None)
        if fn is not None and hasattr(fn, "cache_clear"):
            fn.cache_clear()


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    warm = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    for case in cases[:warm]:
        standard(case)
    clear_caches()
    start = time.perf_counter()
    std = [standard(case) for case in cases]
    seconds = time.perf_counter() - start
    results = [
        {"id": case["id"], "standard": eq, "best": eq or best(case), "extracted": extracted}
        for case, (eq, extracted) in zip(cases, std, strict=True)
    ]
    json.dump({"version": version("math-verify"), "seconds": seconds, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()

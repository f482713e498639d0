#!/usr/bin/env python3
"""Write the claims corpus vectors/corpus/*.json: realistic LLM-API and agent payloads of varied
sizes (about 60 B to 130 KB), deterministic. `m2m-conformance measure` reads them.

    python3 vectors/tools/gen_corpus.py          # rewrite
    python3 vectors/tools/gen_corpus.py --check  # exit 1 if a file would change
"""

import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "vectors", "corpus")

SENTENCES = [
    "The quarterly report shows revenue grew 12% while operating costs stayed flat.",
    "Please summarize the attached meeting notes in three bullet points.",
    "Our deployment pipeline runs unit tests, integration tests and a canary release.",
    "The customer reported that the export button does nothing on Safari 17.",
    "Rust's borrow checker rejects the code because the iterator outlives the vector.",
    "Consider caching the tokenizer instead of loading it on every request.",
    "The patient should take the medication twice daily with food.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The contract renews automatically unless either party gives 30 days notice.",
    "In 1969, Apollo 11 landed on the Moon and returned safely to Earth.",
    "A binary search halves the search interval at every step.",
    "Shipping to Canada takes five to seven business days.",
    "The API returns HTTP 429 when the rate limit of 60 requests per minute is exceeded.",
    "Translate the following paragraph into formal business English.",
    "The function panics when the input slice is empty; return an Option instead.",
    "Revenue recognition follows ASC 606 for multi-element arrangements.",
    "Use exponential backoff with jitter when retrying failed requests.",
    "The museum is open Tuesday through Sunday from 10 am to 6 pm.",
    "Gradient descent updates each weight in the direction that reduces the loss.",
    "The invoice total includes 8.25% sales tax and a $4.99 shipping fee.",
]

CODE = '''def fibonacci(n: int) -> list[int]:
    """Return the first n Fibonacci numbers."""
    seq = [0, 1]
    while len(seq) < n:
        seq.append(seq[-1] + seq[-2])
    return seq[:n]
'''


NAMES = ["Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hiro", "Ines", "Jonas",
         "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya"]
SUBJECTS = ["the billing service", "our mobile app", "the data pipeline", "the search index",
            "the support queue", "the marketing site", "the payments API", "the nightly backup",
            "the recommendation model", "the warehouse scanner", "the onboarding flow", "the CI runner"]
VERBS = ["failed", "recovered", "slowed down", "was upgraded", "was rolled back", "doubled its throughput",
         "dropped 3% of requests", "hit its memory limit", "passed the audit", "missed its SLA"]
CAUSES = ["after the schema migration", "because a certificate expired", "during the holiday peak",
          "when the cache was cold", "due to a misconfigured load balancer", "after a dependency update",
          "while the primary database was failing over", "because of a typo in the feature flag"]
ACTIONS = ["added an alert", "wrote a postmortem", "increased the timeout", "pinned the version",
           "opened a ticket with the vendor", "reverted the change", "scaled out to more nodes",
           "added a regression test"]


def sentence(rnd):
    if rnd.random() < 0.25:
        return rnd.choice(SENTENCES)
    return (f"On {rnd.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])} at "
            f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}, {rnd.choice(SUBJECTS)} "
            f"{rnd.choice(VERBS)} {rnd.choice(CAUSES)}; {rnd.choice(NAMES)} {rnd.choice(ACTIONS)} "
            f"and measured {rnd.randint(2, 9800)} ms p99 latency across {rnd.randint(1, 64)} regions.")


def para(rnd, n):
    return " ".join(sentence(rnd) for _ in range(n))


def request(model, messages, **kw):
    d = {"model": model, "messages": messages}
    d.update(kw)
    return d


def msg(role, content):
    return {"role": role, "content": content}


def corpus():
    rnd = random.Random(2026)
    items = {}
    # simple requests
    items["simple-hi"] = request("gpt-4o", [msg("user", "Hi")])
    items["simple-doc-sample"] = request("gpt-4o", [msg("system", "You are a helpful assistant."),
                                                    msg("user", "Hello!")], temperature=0.7)
    items["simple-question"] = request("gpt-4o-mini", [msg("user", "What is the capital of France?")],
                                       max_tokens=50)
    items["simple-params"] = request("gpt-4o", [msg("system", "Answer in one sentence."),
                                                msg("user", SENTENCES[10])], temperature=0.2,
                                     top_p=0.9, max_tokens=200, stream=True, user="user-4821")
    items["simple-claude"] = request("claude-3-5-sonnet-20241022",
                                     [msg("user", "Write a haiku about autumn leaves.")], max_tokens=1024)
    # multi-turn
    for i, turns in enumerate((4, 8, 16, 24)):
        msgs = [msg("system", "You are a concise support agent for an online store.")]
        for t in range(turns):
            msgs.append(msg("user" if t % 2 == 0 else "assistant", para(rnd, 1 + t % 3)))
        items[f"multiturn-{turns}"] = request("gpt-4o", msgs, temperature=0.5)
    # tools + schema
    weather = {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather for a city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                              "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
    search = {"type": "function", "function": {"name": "search_orders", "description": "Search the order database",
              "parameters": {"type": "object", "properties": {"customer_id": {"type": "string"},
                             "status": {"type": "string", "enum": ["open", "shipped", "returned"]},
                             "since": {"type": "string", "format": "date"}, "limit": {"type": "integer", "minimum": 1, "maximum": 100}},
                             "required": ["customer_id"]}}}
    items["tools-weather"] = request("gpt-4o", [msg("user", "What's the weather in Paris?")], tools=[weather],
                                     tool_choice="auto")
    items["tools-two"] = request("gpt-4o", [msg("system", "You help customers track orders."),
                                            msg("user", "Where is my order from last week?")],
                                 tools=[weather, search], tool_choice="auto", parallel_tool_calls=True)
    items["tools-json-schema"] = request("gpt-4o-2024-08-06", [msg("user", "Extract the invoice fields: " + SENTENCES[19])],
                                         response_format={"type": "json_schema", "json_schema": {"name": "invoice", "strict": True,
                                                          "schema": {"type": "object", "properties": {"total": {"type": "number"},
                                                                     "tax_rate": {"type": "number"}, "shipping": {"type": "number"}},
                                                                     "required": ["total", "tax_rate", "shipping"], "additionalProperties": False}}})
    items["tools-result-turn"] = request("gpt-4o", [
        msg("user", "What's the weather in Paris?"),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_8f2a", "type": "function",
                                                                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_8f2a", "content": "{\"temp_c\":14,\"conditions\":\"light rain\"}"}], tools=[weather])
    # large context
    for name, paras, size_sentences in (("large-2k", 3, 6), ("large-8k", 7, 8), ("large-32k", 26, 8), ("large-128k", 104, 9)):
        ctx = "\n\n".join(para(rnd, size_sentences) for _ in range(paras))
        items[name] = request("gpt-4o", [msg("system", "Answer using only the document below.\n\n" + ctx),
                                         msg("user", "List every number mentioned in the document.")], max_tokens=800)
    items["large-code-review"] = request("gpt-4o", [msg("system", "You are a senior Python reviewer."),
                                                    msg("user", "Review this module:\n\n" + CODE * 12)])
    # responses
    items["response-short"] = {"id": "chatcmpl-9x8y7z", "object": "chat.completion", "created": 1718000000, "model": "gpt-4o-2024-05-13",
                               "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "logprobs": None,
                                            "finish_reason": "stop"}], "usage": {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}}
    items["response-long"] = dict(items["response-short"], id="chatcmpl-long01",
                                  choices=[{"index": 0, "message": {"role": "assistant", "content": para(rnd, 30)},
                                            "logprobs": None, "finish_reason": "stop"}],
                                  usage={"prompt_tokens": 812, "completion_tokens": 540, "total_tokens": 1352},
                                  system_fingerprint="fp_3aa7262c27")
    items["response-tool-call"] = {"id": "chatcmpl-tool42", "object": "chat.completion", "created": 1718000100, "model": "gpt-4o-mini",
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": None,
                                                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "search_orders",
                                                                "arguments": "{\"customer_id\":\"C-1042\",\"status\":\"shipped\",\"limit\":5}"}}]},
                                                "finish_reason": "tool_calls"}],
                                   "usage": {"prompt_tokens": 210, "completion_tokens": 31, "total_tokens": 241,
                                             "prompt_tokens_details": {"cached_tokens": 128}}}
    items["response-stream-chunk"] = {"id": "chatcmpl-s1", "object": "chat.completion.chunk", "created": 1718000200, "model": "gpt-4o",
                                      "choices": [{"index": 0, "delta": {"content": "The"}, "finish_reason": None}]}
    items["response-n3"] = {"id": "chatcmpl-n3", "object": "chat.completion", "created": 1718000300, "model": "gpt-4o",
                            "choices": [{"index": i, "message": {"role": "assistant", "content": para(rnd, 3)}, "finish_reason": "stop"}
                                        for i in range(3)], "usage": {"prompt_tokens": 40, "completion_tokens": 180, "total_tokens": 220}}
    # unicode
    items["unicode-german"] = request("gpt-4o", [msg("user", "Übersetze bitte: „Die Straße ist nass, weil es geregnet hat.“ Danke schön!")])
    items["unicode-chinese"] = request("gpt-4o", [msg("system", "你是一个乐于助人的助手。"),
                                                  msg("user", "请用三句话解释量子计算的基本原理，并举一个实际应用的例子。")])
    items["unicode-japanese-multi"] = request("gpt-4o", [msg("user", "東京でおすすめのラーメン店を教えてください。"),
                                                         msg("assistant", "いくつかご紹介します：一蘭、風雲児、蔦。どれも人気があります。"),
                                                         msg("user", "予約は必要ですか？")])
    items["unicode-emoji"] = request("gpt-4o", [msg("user", "Rate these: 🍕🍣🌮🍜 — which is best for a party? 🎉👍")])
    items["unicode-arabic-russian"] = request("gpt-4o", [msg("user", "مرحبا! كيف حالك اليوم؟ Привет! Как у тебя дела сегодня?")])
    # agent messages
    items["agent-plan"] = {"agent": "planner-7", "task_id": "T-2291", "type": "plan",
                           "steps": [{"id": i, "action": a, "depends_on": [i - 1] if i else []}
                                     for i, a in enumerate(["fetch_orders", "filter_late", "draft_emails", "review", "send"])],
                           "deadline": "2026-11-24T09:00:00Z"}
    items["agent-handoff"] = {"from": "triage-agent", "to": "billing-agent", "conversation_id": "conv_77aa",
                              "summary": para(rnd, 4), "context": {"customer_id": "C-1042", "plan": "pro", "open_tickets": 2},
                              "messages": [msg("user", SENTENCES[19]), msg("assistant", "Let me transfer you to billing.")]}
    items["agent-observation"] = {"agent": "browser-3", "step": 14, "observation": {"url": "https://example.com/orders?page=2",
                                  "status": 200, "title": "Orders – Page 2", "text": para(rnd, 12)},
                                  "next_action": {"type": "click", "selector": "#next-page"}}
    items["agent-batch"] = {"batch_id": "b-551", "results": [{"task": f"T-{1000 + i}", "status": rnd.choice(["ok", "ok", "retry", "failed"]),
                                                             "latency_ms": rnd.randint(80, 2400), "tokens": rnd.randint(100, 4000)}
                                                            for i in range(60)]}
    items["agent-embedding-request"] = {"model": "text-embedding-3-small", "input": [SENTENCES[i] for i in range(8)],
                                        "encoding_format": "float"}
    return items


def main():
    check = "--check" in sys.argv
    items = corpus()
    os.makedirs(OUT, exist_ok=True)
    stale = []
    for name, doc in items.items():
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        path = os.path.join(OUT, name + ".json")
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(name)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    print(f"{len(items)} payloads, {min(len(json.dumps(d, ensure_ascii=False, separators=(',', ':')).encode()) for d in items.values())}"
          f"-{max(len(json.dumps(d, ensure_ascii=False, separators=(',', ':')).encode()) for d in items.values())} bytes")
    if check and stale:
        print("stale: " + ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()

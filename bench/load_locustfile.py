"""The users of the load benchmark (`bench/load.py` runs this with `locust --headless`).

Not meant to be run alone: `bench/load.py` starts the stack, seeds it and passes, through the
environment, the plan (`LOAD_PLAN`: host, campaign, brand, guideline codes, one API token per fan
and per moderator, the sample photos) and where to write the raw results (`LOAD_RESULTS`).

- **Fan**: asks for an upload slot, POSTs the photo to the presigned S3 URL, completes the upload;
  an upload is acknowledged when the completion answers 201 or 202. The whole flow's time is the
  upload latency.
- **Moderator**: claims the next entry of the brand's queue (waits a second when it is empty) and
  approves or rejects it; the decision request's time is the decide latency.
- **Reference**: an anonymous `GET /api/v1/campaigns/` every half second, under the same load: the
  yardstick the other latencies are divided by.

Every request's latency and status is recorded by name, here rather than from locust's own
statistics, which round latencies to two significant digits.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, constant, events, task
from urllib3 import encode_multipart_formdata

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
PHOTOS = [Path(p).read_bytes() for p in PLAN["photos"]]

# Request names: Fanfare's endpoints (their 5xx count as server errors) and S3's.
SLOT = "POST /api/v1/campaigns/[slug]/uploads/"
S3_POST = "POST s3 presigned upload"
COMPLETE = "POST /api/v1/uploads/[id]/complete/"
CLAIM = "POST /api/v1/brands/[brand]/queue/claim/"
DECIDE = "POST /api/v1/entries/[id]/decision/"
REFERENCE = "GET /api/v1/campaigns/"
UPLOAD_FLOW = "upload flow (slot + S3 + complete)"
FANFARE = (SLOT, COMPLETE, CLAIM, DECIDE, REFERENCE)

latencies: dict[str, list[float]] = defaultdict(list)
statuses: dict[str, Counter[str]] = defaultdict(Counter)
errors: Counter[str] = Counter()  # first line of each failure, by request name
acked: list[str] = []  # ids of the entries whose upload was acknowledged
outcomes: Counter[str] = Counter()
# For each request that found its connection closed: how long the user's connection to Fanfare had
# been idle, i.e. since its previous answer (a kept-alive connection the server closes meanwhile).
closed_after_idle: list[tuple[str, float]] = []

_fan_tokens = itertools.cycle(PLAN["fans"])
_moderator_tokens = itertools.cycle(PLAN["moderators"])


@events.request.add_listener
def _record(name: str, response_time: float, response: Any, exception: Any, **_kwargs: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    latencies[name].append(response_time)
    statuses[name][str(status) if status else "connection error"] += 1
    if exception is not None and (status == 0 or status >= 500):
        errors[f"{name}: {str(exception).splitlines()[0][:200] if str(exception) else type(exception).__name__}"] += 1


@events.quitting.add_listener
def _write_results(**_kwargs: Any) -> None:
    Path(os.environ["LOAD_RESULTS"]).write_text(
        json.dumps(
            {
                "latencies": latencies,
                "statuses": statuses,
                "errors": errors,
                "acked": acked,
                "outcomes": outcomes,
                "closed_after_idle": closed_after_idle,
                "fanfare": FANFARE,
                "names": {
                    "slot": SLOT,
                    "s3": S3_POST,
                    "complete": COMPLETE,
                    "claim": CLAIM,
                    "decide": DECIDE,
                    "reference": REFERENCE,
                    "upload": UPLOAD_FLOW,
                },
            }
        )
    )


def _short(body: bytes | str | None) -> str:
    text = body.decode(errors="replace") if isinstance(body, bytes) else (body or "")
    return " ".join(text.split())[:160]


class FanfareUser(FastHttpUser):
    """A user with an API token, who notes when its connection to Fanfare last answered."""

    abstract = True
    token = ""

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Token {self.token}"}
        self.last_answer = time.monotonic()

    def call(self, path: str, *, name: str, **kwargs: Any) -> Any:
        idle = time.monotonic() - self.last_answer
        response = self.client.post(path, headers=self.auth, name=name, **kwargs)
        if not response.status_code:
            closed_after_idle.append((name, idle))
        self.last_answer = time.monotonic()
        return response


class Fan(FanfareUser):
    """Uploads photos through the presigned flow, one after another, with a short pause."""

    fixed_count = int(os.environ.get("LOAD_FANS", "50"))
    wait_time = between(0.5, 1.5)  # choosing the next photo and typing a caption

    def on_start(self) -> None:
        self.token = next(_fan_tokens)
        super().on_start()

    @task
    def upload(self) -> None:
        photo = random.choice(PHOTOS)
        started = time.perf_counter()
        slot = self.call(
            f"/api/v1/campaigns/{PLAN['campaign']}/uploads/",
            json={"content_type": "image/jpeg", "size": len(photo)},
            name=SLOT,
        )
        if slot.status_code != 201:
            outcomes[f"slot refused {slot.status_code}: {_short(slot.content)}"] += 1
            return
        answer = slot.json()
        target = answer["upload"]
        body, content_type = encode_multipart_formdata(
            [
                *target["fields"].items(),
                (target["file_field"], ("photo.jpg", photo, "image/jpeg")),
            ]
        )
        sent = self.client.request(
            target["method"], target["url"], data=body, headers={"Content-Type": content_type}, name=S3_POST
        )
        if sent.status_code not in (200, 201, 204):
            outcomes[f"S3 refused {sent.status_code}: {_short(sent.content)}"] += 1
            return
        done = self.call(
            answer["complete_url"],
            json={"caption": f"Shapes #{random.randrange(10_000)}", "alt_text": "Coloured circles", "consent": True},
            name=COMPLETE,
        )
        if done.status_code not in (201, 202):
            outcomes[f"complete refused {done.status_code}: {_short(done.content)}"] += 1
            return
        acked.append(done.json()["id"])
        outcomes["upload acknowledged"] += 1
        elapsed_ms = (time.perf_counter() - started) * 1000
        latencies[UPLOAD_FLOW].append(elapsed_ms)


class Moderator(FanfareUser):
    """Claims the next entry of the brand's queue and decides it: mostly approvals."""

    fixed_count = int(os.environ.get("LOAD_MODERATORS", "8"))
    wait_time = between(0.2, 0.6)  # looking at the picture

    def on_start(self) -> None:
        self.token = next(_moderator_tokens)
        super().on_start()

    @task
    def decide(self) -> None:
        claim = self.call(f"/api/v1/brands/{PLAN['brand']}/queue/claim/", name=CLAIM)
        if claim.status_code == 204:
            outcomes["queue empty"] += 1
            gevent.sleep(1.0)
            return
        if claim.status_code != 200:
            outcomes[f"claim refused {claim.status_code}: {_short(claim.content)}"] += 1
            return
        entry = claim.json()["id"]
        if random.random() < 0.75:
            decision = {"action": "approve"}
        else:
            decision = {"action": "reject", "guidelines": [random.choice(PLAN["guidelines"])]}
        answer = self.call(f"/api/v1/entries/{entry}/decision/", json=decision, name=DECIDE)
        if answer.status_code == 201:
            outcomes[f"decided: {decision['action']}"] += 1
        elif answer.status_code == 409:
            outcomes["decision conflict (409)"] += 1
        else:
            outcomes[f"decision refused {answer.status_code}: {_short(answer.content)}"] += 1


class Reference(FastHttpUser):
    """The yardstick: a trivial anonymous read, measured under the same load."""

    fixed_count = 1
    wait_time = constant(0.5)

    @task
    def campaigns(self) -> None:
        self.client.get("/api/v1/campaigns/", name=REFERENCE)

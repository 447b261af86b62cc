"""The suite's REST/JSON face as a portal that cannot speak gRPC sees it, through the
gateway with nothing but HTTP/1.1 (urllib): the Wilaya's National Day of 10 August 2025
listed as JSON, an attendee registered with the token on the next published National
Day, a missing event answered 404 with a google.rpc.Status JSON, and /openapi.json
validated as OpenAPI by openapi-spec-validator. Usage: check_rest.py HOST:PORT TOKEN"""

import json
import sys
import urllib.error
import urllib.request
import uuid

from openapi_spec_validator import validate


def fail(message):
    print(f"check_rest: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def call(address, method, path, token=None, body=None):
    """One REST call: the HTTP status and the JSON answer (errors included)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://{address}{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            kind = response.headers.get("Content-Type", "")
            if not kind.startswith("application/json"):
                fail(f"{method} {path} answered {kind}, not JSON")
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def national_days(address, agency, token=None):
    status, page = call(
        address,
        "GET",
        f"/v1/agencies/{agency}/events?kind=EVENT_KIND_NATIONAL_DAY&pageSize=50",
        token,
    )
    if status != 200:
        fail(f"listing {agency}'s National Days answered {status}: {page}")
    return page.get("events", [])


def main():
    address, token = sys.argv[1], sys.argv[2]

    # The Wilaya's meeting of 10 August 2025, public, without a token.
    listed = national_days(address, "wbmk")
    held = [e for e in listed if e["start"]["localDateTime"].startswith("2025-08-10")]
    if not held:
        fail(f"the National Day of 10 August 2025 is not listed at wbmk: {listed}")
    event = held[0]
    if event["kind"] != "EVENT_KIND_NATIONAL_DAY" or not event["name"].startswith(
        "agencies/wbmk/events/"
    ):
        fail(f"not the protobuf JSON mapping (enum names, camelCase): {event}")
    status, got = call(address, "GET", f"/v1/{event['name']}")
    if status != 200 or got["name"] != event["name"]:
        fail(f"getting {event['name']} answered {status}: {got}")

    # An attendee on the next National Day, published by the urban agency.
    upcoming = [
        e for e in national_days(address, "bm") if e["status"] == "EVENT_STATUS_PUBLISHED"
    ]
    if not upcoming:
        fail("no published National Day at agencies/bm")
    event = upcoming[0]
    settings = event.get("registrationSettings", {})
    registration = {
        "requestId": str(uuid.uuid4()),
        "registration": {
            # The person agrees to the notice the event names (law 09-08).
            "consent": {"textVersion": settings.get("consentVersion", "")},
            "attendee": {
                "displayName": "Participante REST",
                "email": f"rest.{uuid.uuid4().hex[:8]}@example.org",
                "residenceRegionCode": "FR",
                "languageCode": "fr",
                "diaspora": True,
            }
        },
    }
    path = f"/v1/{event['name']}:register"
    status, refused = call(address, "POST", path, None, registration)
    if status != 401 or refused.get("code") != 16:
        fail(f"registering without a token answered {status}: {refused}")
    status, registered = call(address, "POST", path, token, registration)
    if status != 200 or registered.get("status") not in (
        "REGISTRATION_STATUS_CONFIRMED",
        "REGISTRATION_STATUS_WAITLISTED",
    ):
        fail(f"registering answered {status}: {registered}")

    # A missing event: 404 with a google.rpc.Status and its ErrorInfo.
    missing = "/v1/agencies/bm/events/0193a0b2-7c1d-7e00-8000-000000000001"
    status, error = call(address, "GET", missing)
    types = [detail.get("@type") for detail in error.get("details", [])]
    if status != 404 or error.get("code") != 5 or (
        "type.googleapis.com/google.rpc.ErrorInfo" not in types
    ):
        fail(f"a missing event answered {status}: {error}")

    # 64-bit integers travel as strings (the protobuf JSON mapping), here a revision.
    status, services = call(address, "GET", "/v1/agencies/-/services?pageSize=50")
    if status != 200 or not services.get("publicServices"):
        fail(f"listing the catalog answered {status}: {services}")
    targets = [
        call(address, "GET", f"/v1/{service['name']}:processingTarget")
        for service in services["publicServices"]
        if service.get("status") == "PUBLIC_SERVICE_STATUS_PUBLISHED"
    ]
    if not targets or any(
        status != 200 or not isinstance(target.get("revision"), str) for status, target in targets
    ):
        fail(f"a processing target's int64 revision is not a JSON string: {targets[:2]}")

    # The OpenAPI document, valid, with an operation per bound RPC.
    status, document = call(address, "GET", "/openapi.json")
    if status != 200:
        fail(f"/openapi.json answered {status}")
    try:
        validate(document)
    except Exception as error:  # the validator's errors have no common base worth naming
        fail(f"/openapi.json is not valid OpenAPI: {error}")
    operations = [op for item in document["paths"].values() for op in item.values()]
    if not any(op["operationId"] == "EventService_RegisterAttendee" for op in operations):
        fail("the document lacks EventService_RegisterAttendee")
    print(
        f"check_rest: ok (National Day listed, registration {registered['status']}, "
        f"404 status JSON, OpenAPI {document['openapi']} valid with {len(operations)} operations)"
    )


if __name__ == "__main__":
    main()

"""An independent client's view of the suite: through the gateway alone, discover every
service by reflection, resolve every method's input and output types, check health, and
call one RPC of each service, and fetch an agency's calendar subscription over plain
HTTP/1.1 on the same port as a calendar client would. Usage: check_suite.py HOST:PORT TOKEN"""

import sys
import urllib.error
import urllib.request

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICES = [
    "jalia.events.v1.EventService",
    "jalia.catalog.v1.CatalogService",
    "jalia.inquiries.v1.InquiryService",
]


def fail(message):
    print(f"check_suite: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


class Reflected:
    """Descriptors fetched by reflection, added to a pool dependencies first."""

    def __init__(self, channel):
        self.stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        self.pool = descriptor_pool.DescriptorPool()
        self.loaded = set()

    def ask(self, **request):
        responses = self.stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(**request)])
        )
        return next(responses)

    def services(self):
        answer = self.ask(list_services="")
        return [service.name for service in answer.list_services_response.service]

    def load(self, symbol):
        """Loads the file defining `symbol` and, by file name, every file it imports."""
        answer = self.ask(file_containing_symbol=symbol)
        if answer.HasField("error_response"):
            fail(f"reflection cannot resolve {symbol}: {answer.error_response.error_message}")
        self._add(answer.file_descriptor_response.file_descriptor_proto, symbol)

    def _add(self, raw_files, wanted_by):
        for raw in raw_files:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            if proto.name in self.loaded:
                continue
            for dependency in proto.dependency:
                if dependency not in self.loaded:
                    answer = self.ask(file_by_filename=dependency)
                    if answer.HasField("error_response"):
                        fail(
                            f"reflection cannot give {dependency} (imported by {proto.name}, "
                            f"for {wanted_by}): {answer.error_response.error_message}"
                        )
                    self._add(answer.file_descriptor_response.file_descriptor_proto, wanted_by)
            if proto.name not in self.loaded:
                self.pool.Add(proto)
                self.loaded.add(proto.name)

    def message(self, full_name):
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))


def call(channel, reflected, service, method, fields, token=None):
    descriptor = reflected.pool.FindServiceByName(service).FindMethodByName(method)
    request_type = reflected.message(descriptor.input_type.full_name)
    response_type = reflected.message(descriptor.output_type.full_name)
    rpc = channel.unary_unary(
        f"/{service}/{method}",
        request_serializer=request_type.SerializeToString,
        response_deserializer=response_type.FromString,
    )
    metadata = [("authorization", f"Bearer {token}")] if token else None
    try:
        return rpc(request_type(**fields), metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        fail(f"{service}/{method}: {error.code()} {error.details()}")


def main():
    if len(sys.argv) != 3:
        fail("usage: check_suite.py HOST:PORT TOKEN")
    address, token = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=20)

    reflected = Reflected(channel)
    listed = reflected.services()
    for expected in SERVICES + ["grpc.health.v1.Health"]:
        if expected not in listed:
            fail(f"reflection does not list {expected}: {listed}")
    methods = 0
    for service in SERVICES:
        reflected.load(service)
        for method in reflected.pool.FindServiceByName(service).methods:
            reflected.message(method.input_type.full_name)
            reflected.message(method.output_type.full_name)
            methods += 1

    health = health_pb2_grpc.HealthStub(channel)
    for name in ["", "readiness"] + SERVICES:
        status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
        if status != health_pb2.HealthCheckResponse.SERVING:
            fail(f"health of {name!r} is {status}")

    events = call(channel, reflected, SERVICES[0], "ListEvents", {"parent": "agencies/-", "language_code": "fr"})
    if len(events.events) < 3:
        fail(f"expected the demo's events, got {len(events.events)}")
    agencies = call(channel, reflected, SERVICES[1], "ListAgencies", {})
    if not agencies.agencies:
        fail("expected the demo's agencies")
    inquiries = call(channel, reflected, SERVICES[2], "ListInquiries", {"parent": "agencies/-"}, token)
    if not inquiries.inquiries:
        fail("expected the demo's inquiries")
    # The public figures need no token; the demo's few inquiries are suppressed counts.
    figures = call(
        channel, reflected, SERVICES[2], "GetPublicInquiryStatistics", {"parent": "agencies/bm", "year": 2025}
    )
    if figures.suppression_threshold != 5 or not figures.HasField("total"):
        fail(f"unexpected public figures: {figures}")

    vevents = check_calendar(address)

    print(
        f"check_suite: ok: {len(SERVICES)} services and {methods} methods resolved by reflection, "
        f"health SERVING, {len(events.events)} events, {len(agencies.agencies)} agencies, "
        f"{len(inquiries.inquiries)} inquiries through the gateway; a calendar feed of "
        f"{vevents} events, revalidated with its ETag"
    )


def check_calendar(address):
    """GETs the demo agency's feed, then again with its ETag (304); returns its VEVENTs."""
    url = f"http://{address}/calendar/agencies/bm.ics?lang=fr"
    with urllib.request.urlopen(url, timeout=10) as response:
        if not response.headers.get("Content-Type", "").startswith("text/calendar"):
            fail(f"calendar feed served as {response.headers.get('Content-Type')}")
        etag = response.headers.get("ETag")
        body = response.read().decode("utf-8")
    if not body.startswith("BEGIN:VCALENDAR\r\n") or "BEGIN:VTIMEZONE" not in body or not etag:
        fail(f"not a calendar feed with a zone and an ETag: {body[:200]!r}")
    again = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(again, timeout=10) as response:
            fail(f"an unchanged feed answered {response.status}, not 304")
    except urllib.error.HTTPError as error:
        if error.code != 304:
            fail(f"an unchanged feed answered {error.code}, not 304")
    return body.count("BEGIN:VEVENT")


if __name__ == "__main__":
    main()

//! Traces across processes: the gateway, inquiries and the services catalog run as three
//! `jalia serve` processes exporting over OTLP to a receiver in this test, and one call
//! through the gateway that makes inquiries ask the catalog comes back as one trace with a
//! span from each process, each hanging under its caller's.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::r#type::v1::{LocalizedString, LocalizedText};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::{Request, Response, Status};

/// One exported span, as the receiver got it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    service: String,
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
}

#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
                .find(|attribute| attribute.key == "service.name")
                .and_then(|attribute| attribute.value.as_ref()?.value.as_ref())
                .map(|value| match value {
                    Value::StringValue(name) => name.clone(),
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            for span in resource_spans
                .scope_spans
                .into_iter()
                .flat_map(|scope| scope.spans)
            {
                spans.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: span.trace_id,
                    span_id: span.span_id,
                    parent_span_id: span.parent_span_id,
                });
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A `jalia serve` process, killed when dropped.
struct Served {
    child: Child,
    address: String,
}

/// Starts `jalia serve <deployable>` on a free port and waits until it says where it serves.
/// A backend is migrated first, as an operator's migration job would.
async fn serve(deployable: &str, data: &std::path::Path, otlp: &str, args: &[String]) -> Served {
    let mut args = args.to_vec();
    if deployable != "gateway" {
        let database = format!("sqlite://{}/{deployable}.db?mode=rwc", data.display());
        let migrated = Command::new(env!("CARGO_BIN_EXE_jalia"))
            .args(["migrate", deployable, "--database-url", &database])
            .output()
            .await
            .unwrap();
        assert!(migrated.status.success(), "{migrated:?}");
        args.extend(["--database-url".to_owned(), database]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_jalia"))
        .args(["serve", deployable, "--listen", "127.0.0.1:0", "--no-admin"])
        .args(&args)
        .env("JALIA_DATA", data)
        .env("JALIA_MODE", "development")
        .env("JALIA_LOG", "info")
        .env("JALIA_LOG_FORMAT", "json")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_TRACES_EXPORTER")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        let mut said = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) else {
                said.push(line);
                continue;
            };
            if record["message"] == "serving"
                && let Some(address) = record["address"].as_str()
            {
                return address.to_owned();
            }
        }
        panic!("{deployable} stopped before serving: {said:#?}");
    })
    .await
    .unwrap_or_else(|_| panic!("{deployable} did not start within 60 s"));
    // Keep draining its log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served { child, address }
}

impl Served {
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

#[tokio::test]
async fn one_call_through_the_gateway_is_one_trace_across_three_processes() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let data = tempfile::tempdir().unwrap();

    let catalog = serve("services-catalog", data.path(), &otlp, &[]).await;
    let inquiries = serve(
        "inquiries",
        data.path(),
        &otlp,
        &["--catalog-url".to_owned(), catalog.url()],
    )
    .await;
    // Events is not called here; the gateway needs an address for it all the same.
    let gateway = serve(
        "gateway",
        data.path(),
        &otlp,
        &[
            "--events-url".to_owned(),
            "http://127.0.0.1:9".to_owned(),
            "--catalog-url".to_owned(),
            catalog.url(),
            "--inquiries-url".to_owned(),
            inquiries.url(),
        ],
    )
    .await;

    let token = jalia::dev_token(
        &jalia::dev_auth(data.path()),
        "bm-desk",
        "bm",
        &["inquiries.submit", "inquiries.handle"],
        Duration::from_secs(600),
    )
    .unwrap();
    let mut client = InquiryServiceClient::connect(gateway.url()).await.unwrap();
    let category = client
        .create_inquiry_category(authed(
            &token,
            inquiries::CreateInquiryCategoryRequest {
                parent: "agencies/bm".into(),
                inquiry_category: Some(inquiries::InquiryCategory {
                    display_name: Some(LocalizedText {
                        entries: vec![LocalizedString {
                            language_code: "fr".into(),
                            text: "Urbanisme".into(),
                        }],
                        ..Default::default()
                    }),
                    default_response_days: 15,
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // The submission names a catalog service: inquiries asks the catalog for its target
    // before writing. The catalog has no such service, so the answer is a refusal on
    // `inquiry.service`: one that only the catalog's reply could have caused.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut submit = authed(
        &token,
        inquiries::SubmitInquiryRequest {
            parent: "agencies/bm".into(),
            inquiry: Some(inquiries::Inquiry {
                requester: Some(inquiries::Requester {
                    display_name: "Citoyen résidant en France".into(),
                    email: "citoyen.mre@example.fr".into(),
                    country_of_residence: "FR".into(),
                    ..Default::default()
                }),
                channel: inquiries::InquiryChannel::WebPortal as i32,
                category: category.name,
                service: "agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".into(),
                subject: "Permis de construire".into(),
                body: "Quels documents pour un permis de construire à Azilal ?".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
            attachments: Vec::new(),
        },
    );
    submit.metadata_mut().insert(
        "traceparent",
        format!("00-{caller_trace}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    let refused = client.submit_inquiry(submit).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("catalog"), "{refused:?}");

    let trace_id = hex(caller_trace);
    let wanted = [
        ("gateway", "jalia.inquiries.v1.InquiryService/SubmitInquiry"),
        (
            "inquiries",
            "jalia.inquiries.v1.InquiryService/SubmitInquiry",
        ),
        (
            "services-catalog",
            "jalia.catalog.v1.CatalogService/GetProcessingTarget",
        ),
    ];
    let spans = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let found: HashMap<&str, ReceivedSpan> = receiver
                .spans
                .lock()
                .unwrap()
                .iter()
                .filter(|span| span.trace_id == trace_id)
                .filter_map(|span| {
                    wanted
                        .iter()
                        .find(|(service, name)| span.service == *service && span.name == *name)
                        .map(|(service, _)| (*service, span.clone()))
                })
                .collect();
            if found.len() == wanted.len() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        let received: Vec<String> = receiver
            .spans
            .lock()
            .unwrap()
            .iter()
            .map(|span| {
                format!(
                    "{} {} trace {} span {} parent {}",
                    span.service,
                    span.name,
                    to_hex(&span.trace_id),
                    to_hex(&span.span_id),
                    to_hex(&span.parent_span_id)
                )
            })
            .collect();
        panic!("the trace is incomplete; spans received: {received:#?}")
    });

    // Each process's span hangs under its caller's: the test's, the gateway's, inquiries'.
    assert_eq!(spans["gateway"].parent_span_id, hex("00f067aa0ba902b7"));
    assert_eq!(spans["inquiries"].parent_span_id, spans["gateway"].span_id);
    assert_eq!(
        spans["services-catalog"].parent_span_id,
        spans["inquiries"].span_id
    );
    // The gateway checks its backends' health all along; probes are not traced.
    let probes = receiver
        .spans
        .lock()
        .unwrap()
        .iter()
        .filter(|span| span.name.starts_with("grpc.health"))
        .count();
    assert_eq!(probes, 0);
    drop((gateway.child, inquiries.child, catalog.child));
}

fn authed<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hex(digits: &str) -> Vec<u8> {
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

//! The Kubernetes manifests (`deploy/`) against the binary they run.
//!
//! Each overlay (`deploy/overlays/*`) and each fixture that must pass (`deploy/tests/*` but
//! `broken`) is rendered with `kubectl kustomize` and checked against `jalia::command()`,
//! the binary's own command line: every flag and environment variable given to a `jalia`
//! container exists for its `serve <x>` or `migrate <x>` subcommand; ports and probes match
//! the addresses it listens on and the health entries it serves; the termination grace
//! period outlasts preStop, shutdown delay and drain; backend URLs name the Services that
//! serve them; network policies open those ports to the right callers. The image's
//! Dockerfile is checked against the build output. Schema validation is
//! `deploy/validate.sh`'s job.
//!
//! Without `kubectl` on the PATH the rendering tests are skipped, saying so, so that
//! `cargo test` runs on a machine without it; CI sets `JALIA_REQUIRE_KUBECTL=1`, which turns
//! a missing kubectl into a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use jalia_runtime::config::parse_duration;
use serde_json::Value;

const BACKENDS: [&str; 3] = ["events", "services-catalog", "inquiries"];
const GATEWAY: &str = "gateway";
/// The label naming the deployable an object belongs to.
const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The fixture that must fail validation (`deploy/validate.sh` checks that it does).
const BROKEN_FIXTURE: &str = "broken";

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .canonicalize()
        .expect("deploy/ exists next to services/")
}

// ---------------------------------------------------------------------------------------
// Rendering

/// One rendered kustomization.
struct Rendering {
    /// Relative to deploy/, e.g. `overlays/prod`.
    name: String,
    objects: Vec<Value>,
}

/// Every kustomization that must render valid manifests: the overlays and the fixtures
/// that must pass.
fn kustomizations() -> Vec<String> {
    let deploy = deploy_dir();
    let mut found = Vec::new();
    for parent in ["overlays", "tests"] {
        let entries = std::fs::read_dir(deploy.join(parent))
            .unwrap_or_else(|err| panic!("deploy/{parent}: {err}"));
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().join("kustomization.yaml").is_file()
                && !(parent == "tests" && name == BROKEN_FIXTURE)
            {
                found.push(format!("{parent}/{name}"));
            }
        }
    }
    found.sort();
    for needed in ["overlays/dev", "overlays/prod"] {
        assert!(
            found.iter().any(|k| k == needed),
            "deploy/{needed} is missing"
        );
    }
    found
}

fn kustomize(relative: &str) -> Vec<Value> {
    let dir = deploy_dir().join(relative);
    let output = match std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
            "kubectl is not installed: these tests render deploy/ with `kubectl kustomize` \
             (kubectl 1.27 or later, offline); install it, or unset JALIA_REQUIRE_KUBECTL"
        ),
        Err(err) => panic!("cannot run kubectl: {err}"),
    };
    assert!(
        output.status.success(),
        "kubectl kustomize deploy/{relative} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("kustomize prints UTF-8");
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|err| panic!("deploy/{relative} renders YAML that does not parse: {err}"));
    let objects: Vec<Value> = documents.into_iter().filter(|doc| !doc.is_null()).collect();
    assert!(!objects.is_empty(), "deploy/{relative} renders nothing");
    objects
}

/// The variable with which CI demands kubectl rather than skipping.
const REQUIRE_KUBECTL: &str = "JALIA_REQUIRE_KUBECTL";

fn kubectl_on_path() -> bool {
    std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Rendered once for all the tests of this file; none (the test is skipped, saying so)
/// when kubectl is missing and CI did not demand it.
fn renderings() -> &'static [Rendering] {
    static RENDERED: OnceLock<Vec<Rendering>> = OnceLock::new();
    let required = std::env::var(REQUIRE_KUBECTL).is_ok_and(|value| value == "1");
    if !required && !kubectl_on_path() {
        eprintln!(
            "skipped: kubectl is not on the PATH, so deploy/ cannot be rendered \
             (set {REQUIRE_KUBECTL}=1 to make this a failure, as CI does)"
        );
        return &[];
    }
    RENDERED.get_or_init(|| {
        kustomizations()
            .into_iter()
            .map(|name| Rendering {
                objects: kustomize(&name),
                name,
            })
            .collect()
    })
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn number(value: &Value, pointer: &str) -> Option<u64> {
    value.pointer(pointer).and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

impl Rendering {
    fn of_kind(&self, kind: &'static str) -> impl Iterator<Item = &Value> {
        self.objects
            .iter()
            .filter(move |object| text(object, "/kind") == Some(kind))
    }

    fn named(&self, kind: &'static str, name: &str) -> Option<&Value> {
        self.of_kind(kind)
            .find(|object| text(object, "/metadata/name") == Some(name))
    }

    fn deployment(&self, deployable: &str) -> &Value {
        self.named("Deployment", deployable)
            .unwrap_or_else(|| panic!("{}: no Deployment `{deployable}`", self.name))
    }

    fn is_dev(&self) -> bool {
        self.name == "overlays/dev"
    }
}

// ---------------------------------------------------------------------------------------
// What the binary accepts, from its own command line

/// The settings of `jalia <verb> <deployable>`.
struct Settings {
    command: String,
    /// Long flag -> argument id.
    longs: BTreeMap<String, String>,
    shorts: BTreeSet<char>,
    /// Environment variable -> argument id.
    vars: BTreeMap<String, String>,
    /// Argument id -> environment variable.
    var_of: BTreeMap<String, String>,
    /// Argument id -> default value.
    defaults: BTreeMap<String, String>,
}

fn settings(verb: &str, deployable: &str) -> Settings {
    let cli = jalia::command();
    let command = cli
        .find_subcommand(verb)
        .and_then(|verb| verb.find_subcommand(deployable))
        .unwrap_or_else(|| panic!("the binary has no `jalia {verb} {deployable}`"));
    let mut settings = Settings {
        command: format!("jalia {verb} {deployable}"),
        longs: BTreeMap::new(),
        shorts: BTreeSet::new(),
        vars: BTreeMap::new(),
        var_of: BTreeMap::new(),
        defaults: BTreeMap::new(),
    };
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str().to_owned();
        if let Some(long) = arg.get_long() {
            settings.longs.insert(long.to_owned(), id.clone());
        }
        if let Some(short) = arg.get_short() {
            settings.shorts.insert(short);
        }
        if let Some(var) = arg.get_env() {
            let var = var.to_string_lossy().into_owned();
            settings.vars.insert(var.clone(), id.clone());
            settings.var_of.insert(id.clone(), var);
        }
        if let Some(default) = arg.get_default_values().first() {
            settings
                .defaults
                .insert(id, default.to_string_lossy().into_owned());
        }
    }
    assert!(
        !settings.vars.is_empty(),
        "`{}` reads no environment variable: is this the right command?",
        settings.command
    );
    settings
}

// ---------------------------------------------------------------------------------------
// Containers, as the binary will see them

/// An environment variable's value as the manifests give it.
#[derive(Clone)]
enum EnvValue {
    /// A literal (from `value`, or a ConfigMap of the rendering).
    Literal(String),
    /// From a Secret the operators create: not known here.
    Secret,
}

/// A container running `jalia`, with what it is given.
struct Container<'a> {
    rendering: &'a Rendering,
    deployable: String,
    spec: &'a Value,
    init: bool,
    /// `jalia`'s arguments (after the program name).
    argv: Vec<String>,
    env: BTreeMap<String, EnvValue>,
    settings: Settings,
}

impl Container<'_> {
    fn at(&self) -> String {
        format!(
            "{}: Deployment {} container {}",
            self.rendering.name,
            self.deployable,
            text(self.spec, "/name").unwrap_or("?")
        )
    }

    /// The flags after `<verb> <deployable>`: name -> value (`--name=value` or `--name value`).
    fn flags(&self) -> BTreeMap<String, Option<String>> {
        let mut flags = BTreeMap::new();
        let mut rest = self.argv.iter().skip(2).peekable();
        while let Some(token) = rest.next() {
            if let Some(long) = token.strip_prefix("--") {
                match long.split_once('=') {
                    Some((name, value)) => {
                        flags.insert(name.to_owned(), Some(value.to_owned()));
                    }
                    None => {
                        let value = rest.next_if(|next| !next.starts_with('-')).cloned();
                        flags.insert(long.to_owned(), value);
                    }
                }
            }
        }
        flags
    }

    /// The value the binary will use for argument `id`: flag, else environment, else default.
    fn value(&self, id: &str) -> Option<EnvValue> {
        let flags = self.flags();
        if let Some(value) = self
            .settings
            .longs
            .iter()
            .filter(|(_, arg)| arg.as_str() == id)
            .find_map(|(long, _)| flags.get(long))
        {
            return Some(EnvValue::Literal(value.clone().unwrap_or_default()));
        }
        if let Some(value) = self
            .settings
            .var_of
            .get(id)
            .and_then(|var| self.env.get(var))
        {
            return Some(value.clone());
        }
        self.settings
            .defaults
            .get(id)
            .cloned()
            .map(EnvValue::Literal)
    }

    /// A setting that must be known from the manifests or the binary's defaults.
    fn literal(&self, id: &str) -> String {
        match self.value(id) {
            Some(EnvValue::Literal(value)) => value,
            Some(EnvValue::Secret) => panic!("{}: --{id} comes from a Secret", self.at()),
            None => panic!("{}: --{id} has no value and no default", self.at()),
        }
    }

    fn duration(&self, id: &str) -> Duration {
        let value = self.literal(id);
        parse_duration(&value)
            .unwrap_or_else(|problem| panic!("{}: --{id} `{value}`: {problem}", self.at()))
    }

    fn port(&self, id: &str) -> u16 {
        let value = self.literal(id);
        value
            .parse::<SocketAddr>()
            .unwrap_or_else(|err| panic!("{}: --{id} `{value}`: {err}", self.at()))
            .port()
    }

    fn is_set(&self, id: &str) -> bool {
        match self.value(id) {
            Some(EnvValue::Literal(value)) => !value.trim().is_empty(),
            Some(EnvValue::Secret) => true,
            None => false,
        }
    }

    /// Whether its gRPC listener speaks TLS.
    fn tls(&self) -> bool {
        self.is_set("tls-cert-file")
    }

    /// The container port named `name`.
    fn container_port(&self, name: &str) -> Option<u16> {
        list(self.spec, "/ports")
            .iter()
            .find(|port| text(port, "/name") == Some(name))
            .and_then(|port| number(port, "/containerPort"))
            .map(|port| u16::try_from(port).unwrap())
    }

    /// Resolves a probe's or Service's port (a number or a container port name).
    fn resolve_port(&self, port: &Value) -> Option<u16> {
        match port {
            Value::String(name) => self.container_port(name).or_else(|| name.parse().ok()),
            other => other.as_u64().map(|port| u16::try_from(port).unwrap()),
        }
    }
}

/// The ConfigMaps of a rendering, by name.
fn config_maps(rendering: &Rendering) -> BTreeMap<&str, BTreeMap<String, String>> {
    rendering
        .of_kind("ConfigMap")
        .map(|map| {
            let data = map
                .pointer("/data")
                .and_then(Value::as_object)
                .map(|data| {
                    data.iter()
                        .map(|(key, value)| {
                            (key.clone(), value.as_str().unwrap_or_default().to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            (text(map, "/metadata/name").unwrap_or_default(), data)
        })
        .collect()
}

fn environment(rendering: &Rendering, container: &Value) -> BTreeMap<String, EnvValue> {
    let maps = config_maps(rendering);
    let secrets: BTreeMap<&str, &Value> = rendering
        .of_kind("Secret")
        .map(|secret| (text(secret, "/metadata/name").unwrap_or_default(), secret))
        .collect();
    let mut env = BTreeMap::new();
    // envFrom first, later sources winning; `env` wins over all of them (as in Kubernetes).
    for source in list(container, "/envFrom") {
        let prefix = text(source, "/prefix").unwrap_or_default();
        if let Some(name) = text(source, "/configMapRef/name") {
            let data = maps.get(name).unwrap_or_else(|| {
                panic!(
                    "{}: envFrom names ConfigMap `{name}`, which it does not render",
                    rendering.name
                )
            });
            for (key, value) in data {
                env.insert(format!("{prefix}{key}"), EnvValue::Literal(value.clone()));
            }
        } else if let Some(name) = text(source, "/secretRef/name") {
            let secret = secrets.get(name).unwrap_or_else(|| {
                panic!(
                    "{}: envFrom names Secret `{name}`, whose keys cannot be checked: \
                     reference each key with env[].valueFrom.secretKeyRef instead",
                    rendering.name
                )
            });
            for key in secret
                .pointer("/data")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|data| data.keys())
            {
                env.insert(format!("{prefix}{key}"), EnvValue::Secret);
            }
        }
    }
    for var in list(container, "/env") {
        let name = text(var, "/name")
            .expect("env entries have a name")
            .to_owned();
        let value = match (var.get("value"), var.get("valueFrom")) {
            (Some(Value::String(value)), None) => EnvValue::Literal(value.clone()),
            (None, None) => EnvValue::Literal(String::new()),
            (None, Some(from)) if from.get("secretKeyRef").is_some() => EnvValue::Secret,
            (None, Some(from)) if from.get("configMapKeyRef").is_some() => {
                let (map, key) = (
                    text(from, "/configMapKeyRef/name").unwrap_or_default(),
                    text(from, "/configMapKeyRef/key").unwrap_or_default(),
                );
                let value = maps
                    .get(map)
                    .and_then(|data| data.get(key))
                    .unwrap_or_else(|| {
                        panic!("{}: {name} from missing {map}/{key}", rendering.name)
                    });
                EnvValue::Literal(value.clone())
            }
            _ => panic!(
                "{}: {name} comes from a source this test cannot read",
                rendering.name
            ),
        };
        env.insert(name, value);
    }
    env
}

/// Every container of every Deployment, with what `jalia` will see.
fn containers(rendering: &Rendering) -> Vec<Container<'_>> {
    let mut found = Vec::new();
    for deployment in rendering.of_kind("Deployment") {
        let deployable = text(
            deployment,
            &format!("/spec/template/metadata/labels/{}", escape(NAME_LABEL)),
        )
        .unwrap_or_else(|| {
            panic!(
                "{}: a Deployment's pods have no {NAME_LABEL} label",
                rendering.name
            )
        })
        .to_owned();
        let pod = deployment
            .pointer("/spec/template/spec")
            .expect("a pod template");
        let all = list(pod, "/initContainers")
            .iter()
            .map(|c| (c, true))
            .chain(list(pod, "/containers").iter().map(|c| (c, false)));
        for (spec, init) in all {
            let name = text(spec, "/name").unwrap_or("?");
            let at = format!(
                "{}: Deployment {deployable} container {name}",
                rendering.name
            );
            let image = text(spec, "/image").unwrap_or_default();
            assert!(
                image.contains("jalia"),
                "{at}: runs `{image}`, not the jalia image"
            );
            // The image's ENTRYPOINT is jalia; a `command`, if any, must still be it.
            let command: Vec<String> = list(spec, "/command")
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            if let Some(program) = command.first() {
                assert!(
                    Path::new(program).file_name().is_some_and(|n| n == "jalia"),
                    "{at}: command `{program}` is not jalia"
                );
            }
            let argv: Vec<String> = command
                .into_iter()
                .skip(1)
                .chain(
                    list(spec, "/args")
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().to_owned()),
                )
                .collect();
            let verb = if init { "migrate" } else { "serve" };
            assert!(
                argv.len() >= 2 && argv[0] == verb && argv[1] == deployable,
                "{at}: runs `jalia {}`, expected `jalia {verb} {deployable} ...`",
                argv.join(" ")
            );
            found.push(Container {
                rendering,
                deployable: deployable.clone(),
                spec,
                init,
                env: environment(rendering, spec),
                settings: settings(verb, &deployable),
                argv,
            });
        }
    }
    found
}

fn main_container<'a>(containers: &'a [Container<'a>], deployable: &str) -> &'a Container<'a> {
    containers
        .iter()
        .find(|c| !c.init && c.deployable == deployable)
        .unwrap_or_else(|| panic!("no `jalia serve {deployable}` container"))
}

/// JSON pointer escaping for a label key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn every_overlay_runs_each_deployable_with_its_service_account_hpa_and_pdb() {
    for rendering in renderings() {
        let at = &rendering.name;
        let deployments: BTreeSet<&str> = rendering
            .of_kind("Deployment")
            .filter_map(|d| text(d, "/metadata/name"))
            .collect();
        let expected: BTreeSet<&str> = jalia::DEPLOYABLES.into_iter().collect();
        assert_eq!(deployments, expected, "{at}: one Deployment per deployable");
        let containers = containers(rendering);
        for deployable in jalia::DEPLOYABLES {
            let deployment = rendering.deployment(deployable);
            let pod = deployment.pointer("/spec/template/spec").unwrap();
            let account = text(pod, "/serviceAccountName")
                .unwrap_or_else(|| panic!("{at}: {deployable} runs as the default ServiceAccount"));
            assert!(
                rendering.named("ServiceAccount", account).is_some(),
                "{at}: {deployable}'s ServiceAccount `{account}` is not rendered"
            );
            let hpa = rendering
                .of_kind("HorizontalPodAutoscaler")
                .find(|h| text(h, "/spec/scaleTargetRef/name") == Some(deployable))
                .unwrap_or_else(|| panic!("{at}: no HorizontalPodAutoscaler for {deployable}"));
            let min = number(hpa, "/spec/minReplicas").unwrap_or(1);
            let max = number(hpa, "/spec/maxReplicas").unwrap();
            if rendering.is_dev() {
                assert_eq!(
                    (min, max),
                    (1, 1),
                    "{at}: {deployable}: dev runs one replica"
                );
                assert_eq!(
                    number(deployment, "/spec/replicas"),
                    Some(1),
                    "{at}: {deployable}"
                );
            } else {
                assert!(
                    min >= 2,
                    "{at}: {deployable}: at least two replicas, not {min}"
                );
                assert!(
                    max >= min,
                    "{at}: {deployable}: maxReplicas {max} < minReplicas {min}"
                );
                assert!(
                    deployment.pointer("/spec/replicas").is_none(),
                    "{at}: {deployable}: `replicas` would fight the HorizontalPodAutoscaler"
                );
            }
            let pod_labels = deployment
                .pointer("/spec/template/metadata/labels")
                .and_then(Value::as_object)
                .unwrap();
            let pdb = rendering
                .of_kind("PodDisruptionBudget")
                .find(|pdb| {
                    pdb.pointer("/spec/selector/matchLabels")
                        .and_then(Value::as_object)
                        .is_some_and(|wanted| {
                            wanted.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
                        })
                })
                .unwrap_or_else(|| panic!("{at}: no PodDisruptionBudget selects {deployable}"));
            assert_eq!(
                number(pdb, "/spec/maxUnavailable"),
                Some(1),
                "{at}: {deployable}"
            );

            let main = main_container(&containers, deployable);
            let mode = main.literal("mode");
            let expected_mode = if rendering.is_dev() {
                "development"
            } else {
                "production"
            };
            assert_eq!(mode, expected_mode, "{at}: {deployable}'s JALIA_MODE");
            // Migrations before the new version serves: the backends migrate in an init
            // container (the command itself is checked by the flags test).
            let migrates = containers
                .iter()
                .any(|c| c.init && c.deployable == deployable);
            assert_eq!(
                migrates,
                deployable != GATEWAY,
                "{at}: {deployable}: `jalia migrate` init container"
            );
        }
    }
}

#[test]
fn every_flag_and_environment_variable_exists_in_the_binary() {
    for rendering in renderings() {
        for container in containers(rendering) {
            let at = container.at();
            let settings = &container.settings;
            for (flag, _) in container.flags() {
                assert!(
                    settings.longs.contains_key(&flag),
                    "{at}: `{}` has no flag --{flag}",
                    settings.command
                );
            }
            for token in container.argv.iter().skip(2) {
                if let Some(short) = token.strip_prefix('-').filter(|t| !t.starts_with('-')) {
                    for c in short.chars() {
                        assert!(settings.shorts.contains(&c), "{at}: no flag -{c}");
                    }
                }
            }
            let unknown: Vec<&String> = container
                .env
                .keys()
                .filter(|name| !settings.vars.contains_key(*name))
                .collect();
            assert!(
                unknown.is_empty(),
                "{at}: `{}` reads no {unknown:?} (it reads {:?})",
                settings.command,
                settings.vars.keys().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn the_settings_production_requires_are_given() {
    for rendering in renderings() {
        for container in containers(rendering) {
            let at = container.at();
            if container.init {
                assert!(
                    container.is_set("database-url"),
                    "{at}: no database URL to migrate"
                );
                continue;
            }
            let backend = container.deployable != GATEWAY;
            if backend {
                assert!(container.is_set("database-url"), "{at}: no database URL");
                assert!(
                    matches!(container.value("database-url"), Some(EnvValue::Secret)),
                    "{at}: the database URL (it may hold a password) must come from a Secret"
                );
            }
            if container.literal("mode") == "production" {
                assert!(
                    container.is_set("jwks-file"),
                    "{at}: production needs the JWKS"
                );
                if backend {
                    assert!(
                        matches!(container.value("page-token-key"), Some(EnvValue::Secret)),
                        "{at}: production needs the page-token key, from a Secret"
                    );
                }
                if container.deployable == "inquiries" {
                    assert!(
                        matches!(container.value("tracking-key"), Some(EnvValue::Secret)),
                        "{at}: production needs the tracking key, from a Secret"
                    );
                }
            }
        }
    }
}

#[test]
fn ports_and_probes_match_what_the_binary_serves() {
    for rendering in renderings() {
        for container in containers(rendering).iter().filter(|c| !c.init) {
            let at = container.at();
            let grpc = container.port("listen");
            let admin = (!container.flags().contains_key("no-admin"))
                .then(|| container.port("admin-listen"));
            assert_eq!(
                container.container_port("grpc"),
                Some(grpc),
                "{at}: port `grpc`"
            );
            assert_eq!(
                container.container_port("metrics"),
                admin,
                "{at}: port `metrics`"
            );
            let serving: BTreeSet<u16> = [Some(grpc), admin].into_iter().flatten().collect();
            for port in list(container.spec, "/ports") {
                let number = u16::try_from(number(port, "/containerPort").unwrap()).unwrap();
                assert!(
                    serving.contains(&number),
                    "{at}: nothing listens on port {number}"
                );
            }

            let readiness_entry = if container.deployable == GATEWAY {
                "readiness"
            } else {
                ""
            };
            for (probe, entry, required) in [
                ("startupProbe", "liveness", false),
                ("livenessProbe", "liveness", true),
                ("readinessProbe", readiness_entry, true),
            ] {
                let Some(spec) = container.spec.get(probe) else {
                    assert!(!required, "{at}: no {probe}");
                    continue;
                };
                if let Some(check) = spec.get("grpc") {
                    // Kubernetes' gRPC probes speak plaintext only.
                    assert!(
                        !container.tls(),
                        "{at}: {probe} is gRPC, but the listener is TLS"
                    );
                    assert_eq!(
                        number(check, "/port"),
                        Some(u64::from(grpc)),
                        "{at}: {probe} port"
                    );
                    assert_eq!(
                        text(check, "/service").unwrap_or_default(),
                        entry,
                        "{at}: {probe} asks for the wrong health entry"
                    );
                } else {
                    assert!(
                        container.tls(),
                        "{at}: {probe} must use the native gRPC probe on a plaintext listener"
                    );
                    let port = spec
                        .get("tcpSocket")
                        .or_else(|| spec.get("httpGet"))
                        .and_then(|action| action.get("port"))
                        .and_then(|port| container.resolve_port(port))
                        .unwrap_or_else(|| {
                            panic!("{at}: {probe}: a TCP or HTTP probe with a port")
                        });
                    assert!(
                        serving.contains(&port),
                        "{at}: {probe} on port {port}: nothing listens there"
                    );
                }
            }
        }
    }
}

#[test]
fn services_reach_the_ports_that_serve() {
    for rendering in renderings() {
        let containers = containers(rendering);
        for deployable in jalia::DEPLOYABLES {
            let at = format!("{}: Service {deployable}", rendering.name);
            let main = main_container(&containers, deployable);
            let service = rendering
                .named("Service", deployable)
                .unwrap_or_else(|| panic!("{at}: missing"));
            let pod_labels = rendering
                .deployment(deployable)
                .pointer("/spec/template/metadata/labels")
                .and_then(Value::as_object)
                .unwrap();
            let selector = service
                .pointer("/spec/selector")
                .and_then(Value::as_object)
                .unwrap();
            assert!(
                selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)),
                "{at}: its selector misses {deployable}'s pods"
            );
            let headless = text(service, "/spec/clusterIP") == Some("None");
            assert_eq!(
                headless,
                deployable != GATEWAY,
                "{at}: backends are headless (the gateway balances over their pods); the gateway's is not"
            );
            for port in list(service, "/spec/ports") {
                let target = port.get("targetPort").or_else(|| port.get("port")).unwrap();
                let resolved = main.resolve_port(target);
                let serving = [main.container_port("grpc"), main.container_port("metrics")];
                assert!(
                    resolved.is_some() && serving.contains(&resolved),
                    "{at}: targetPort {target} is not a port the container serves"
                );
            }
            let grpc = list(service, "/spec/ports")
                .iter()
                .find(|p| text(p, "/name") == Some("grpc"))
                .unwrap_or_else(|| panic!("{at}: no port named grpc"));
            assert_eq!(
                main.resolve_port(grpc.get("targetPort").unwrap()),
                Some(main.port("listen")),
                "{at}: port grpc"
            );
        }
    }
}

#[test]
fn ingresses_send_grpc_as_grpc_and_calendars_and_rest_as_http_to_the_gateways_listener() {
    let mut calendar_paths = 0;
    let mut rest_paths = 0;
    for rendering in renderings() {
        let containers = containers(rendering);
        let gateway = main_container(&containers, GATEWAY);
        let service = rendering.named("Service", GATEWAY).unwrap();
        let port_named = |name: &str| {
            list(service, "/spec/ports")
                .iter()
                .find(|p| text(p, "/name") == Some(name))
        };
        // The calendar URLs are served on the gRPC listener; `http` reaches it too.
        let http = port_named("http")
            .unwrap_or_else(|| panic!("{}: Service gateway: no port named http", rendering.name));
        assert_eq!(
            gateway.resolve_port(http.get("targetPort").unwrap()),
            Some(gateway.port("listen")),
            "{}: Service gateway port http",
            rendering.name
        );
        for ingress in rendering.of_kind("Ingress") {
            let at = format!(
                "{}: Ingress {}",
                rendering.name,
                text(ingress, "/metadata/name").unwrap_or_default()
            );
            let protocol = text(
                ingress,
                "/metadata/annotations/nginx.ingress.kubernetes.io~1backend-protocol",
            )
            .unwrap_or("HTTP");
            for rule in list(ingress, "/spec/rules") {
                for path in list(rule, "/http/paths") {
                    let backend = path.pointer("/backend/service").unwrap();
                    assert_eq!(
                        text(backend, "/name"),
                        Some(GATEWAY),
                        "{at}: callers enter at the gateway"
                    );
                    let port = text(backend, "/port/name")
                        .and_then(port_named)
                        .unwrap_or_else(|| panic!("{at}: its backend port is not a named port of the gateway's Service"));
                    let route = text(path, "/path").unwrap_or_default();
                    let calendar = route.starts_with("/calendar");
                    calendar_paths += usize::from(calendar);
                    rest_paths += usize::from(route.starts_with("/v1/"));
                    // Calendars, REST/JSON and its OpenAPI document are plain HTTP.
                    let plain_http =
                        calendar || route.starts_with("/v1/") || route == "/openapi.json";
                    let (expected_port, expected_protocols): (&str, &[&str]) = if plain_http {
                        ("http", &["HTTP", "HTTPS"])
                    } else {
                        ("grpc", &["GRPC", "GRPCS"])
                    };
                    assert_eq!(text(port, "/name"), Some(expected_port), "{at}: port");
                    assert!(
                        expected_protocols.contains(&protocol),
                        "{at}: backend protocol {protocol} for {:?}",
                        text(path, "/path")
                    );
                }
            }
        }
    }
    if !renderings().is_empty() {
        assert!(calendar_paths > 0, "no Ingress routes the calendar paths");
        assert!(rest_paths > 0, "no Ingress routes the REST paths");
    }
}

/// The Service port named `grpc` of `deployable`.
fn service_grpc_port(rendering: &Rendering, deployable: &str) -> u64 {
    let service = rendering.named("Service", deployable).unwrap();
    list(service, "/spec/ports")
        .iter()
        .find(|p| text(p, "/name") == Some("grpc"))
        .and_then(|p| number(p, "/port"))
        .unwrap()
}

#[test]
fn backend_urls_name_the_services_that_serve_them() {
    for rendering in renderings() {
        let containers = containers(rendering);
        let gateway = main_container(&containers, GATEWAY);
        let inquiries = main_container(&containers, "inquiries");
        for (caller, id, target) in [
            (gateway, "events-url", "events"),
            (gateway, "catalog-url", "services-catalog"),
            (gateway, "inquiries-url", "inquiries"),
            (inquiries, "catalog-url", "services-catalog"),
        ] {
            let at = caller.at();
            let url = caller.literal(id);
            let (scheme, rest) = url
                .split_once("://")
                .unwrap_or_else(|| panic!("{at}: --{id} `{url}` is not a URL"));
            let authority = rest.split('/').next().unwrap_or_default();
            let (host, port) = authority
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("{at}: --{id} `{url}` names no port"));
            let service = host.split('.').next().unwrap_or_default();
            assert_eq!(
                service, target,
                "{at}: --{id} `{url}` must name the {target} Service"
            );
            assert_eq!(
                port.parse::<u64>().ok(),
                Some(service_grpc_port(rendering, target)),
                "{at}: --{id} `{url}`: not the {target} Service's gRPC port"
            );
            let target_tls = main_container(&containers, target).tls();
            assert_eq!(
                scheme,
                if target_tls { "https" } else { "http" },
                "{at}: --{id} `{url}` must match {target}'s TLS setting"
            );
        }
    }
}

#[test]
fn termination_grace_outlasts_prestop_delay_and_drain() {
    for rendering in renderings() {
        for container in containers(rendering).iter().filter(|c| !c.init) {
            let at = container.at();
            let pod = rendering
                .deployment(&container.deployable)
                .pointer("/spec/template/spec")
                .unwrap();
            let grace =
                Duration::from_secs(number(pod, "/terminationGracePeriodSeconds").unwrap_or(30));
            let pre_stop = number(container.spec, "/lifecycle/preStop/sleep/seconds")
                .map(Duration::from_secs)
                .unwrap_or_else(|| {
                    panic!("{at}: no preStop sleep (endpoints must catch up first)")
                });
            let delay = container.duration("shutdown-delay");
            let drain = container.duration("drain-timeout");
            assert!(
                grace > pre_stop + delay + drain,
                "{at}: terminationGracePeriodSeconds {grace:?} must exceed preStop {pre_stop:?} \
                 + shutdown delay {delay:?} + drain timeout {drain:?}"
            );
        }
    }
}

#[test]
fn pods_run_non_root_read_only_without_privileges() {
    let uid = dockerfile_user().0;
    for rendering in renderings() {
        for container in containers(rendering) {
            let at = container.at();
            let pod = rendering
                .deployment(&container.deployable)
                .pointer("/spec/template/spec")
                .unwrap();
            let setting = |pointer: &str| {
                container
                    .spec
                    .pointer(&format!("/securityContext{pointer}"))
                    .or_else(|| pod.pointer(&format!("/securityContext{pointer}")))
            };
            assert_eq!(
                setting("/runAsNonRoot"),
                Some(&Value::Bool(true)),
                "{at}: runAsNonRoot"
            );
            assert_eq!(
                setting("/runAsUser").and_then(Value::as_u64),
                Some(uid),
                "{at}: runAsUser must be the image's USER"
            );
            assert_eq!(
                setting("/seccompProfile/type").and_then(Value::as_str),
                Some("RuntimeDefault"),
                "{at}: seccomp"
            );
            let own = |pointer: &str| {
                container
                    .spec
                    .pointer(&format!("/securityContext{pointer}"))
            };
            assert_eq!(
                own("/allowPrivilegeEscalation"),
                Some(&Value::Bool(false)),
                "{at}"
            );
            assert_eq!(
                own("/readOnlyRootFilesystem"),
                Some(&Value::Bool(true)),
                "{at}"
            );
            assert!(
                list(container.spec, "/securityContext/capabilities/drop")
                    .iter()
                    .any(|c| c.as_str() == Some("ALL")),
                "{at}: capabilities drop ALL"
            );
            let tmp = list(container.spec, "/volumeMounts")
                .iter()
                .find(|m| text(m, "/mountPath") == Some("/tmp"))
                .and_then(|m| text(m, "/name"))
                .unwrap_or_else(|| panic!("{at}: /tmp must be a writable volume"));
            let volume = list(pod, "/volumes")
                .iter()
                .find(|v| text(v, "/name") == Some(tmp))
                .unwrap();
            assert!(
                volume.get("emptyDir").is_some(),
                "{at}: /tmp from an emptyDir"
            );
        }
    }
}

/// The deployables whose pods a policy peer (a `podSelector` on the name label) selects.
fn peer_deployable(peer: &Value) -> Option<&str> {
    text(
        peer,
        &format!("/podSelector/matchLabels/{}", escape(NAME_LABEL)),
    )
}

#[test]
fn network_policies_open_exactly_the_calls_the_suite_makes() {
    for rendering in renderings() {
        let at = &rendering.name;
        let containers = containers(rendering);
        let policies: Vec<&Value> = rendering.of_kind("NetworkPolicy").collect();
        assert!(
            policies.iter().any(|p| {
                p.pointer("/spec/podSelector")
                    .and_then(Value::as_object)
                    .is_some_and(|s| s.is_empty())
                    && list(p, "/spec/policyTypes").len() == 2
                    && list(p, "/spec/ingress").is_empty()
                    && list(p, "/spec/egress").is_empty()
            }),
            "{at}: no default-deny NetworkPolicy"
        );
        // Who may open each deployable's gRPC port: None means anyone.
        let mut callers: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
        // Which gRPC ports each deployable may call.
        let mut calls: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for policy in &policies {
            let name = text(policy, "/metadata/name").unwrap_or_default();
            let Some(owner) = text(
                policy,
                &format!("/spec/podSelector/matchLabels/{}", escape(NAME_LABEL)),
            ) else {
                // Policies for every pod may only use named ports that every pod serves.
                for rule in list(policy, "/spec/ingress") {
                    for port in list(rule, "/ports") {
                        if let Some(named) = text(port, "/port") {
                            for c in containers.iter().filter(|c| !c.init) {
                                assert!(
                                    c.container_port(named).is_some(),
                                    "{at}: NetworkPolicy {name}: {} has no port `{named}`",
                                    c.deployable
                                );
                            }
                        }
                    }
                }
                continue;
            };
            let main = main_container(&containers, owner);
            for rule in list(policy, "/spec/ingress") {
                let ports: Vec<u16> =
                    list(rule, "/ports")
                        .iter()
                        .map(|p| {
                            main.resolve_port(p.get("port").unwrap()).unwrap_or_else(|| {
                            panic!("{at}: NetworkPolicy {name}: port {p} is not one {owner} serves")
                        })
                        })
                        .collect();
                for port in &ports {
                    assert!(
                        [main.container_port("grpc"), main.container_port("metrics")]
                            .contains(&Some(*port)),
                        "{at}: NetworkPolicy {name}: {owner} serves nothing on {port}"
                    );
                }
                if ports.contains(&main.port("listen")) {
                    let from = list(rule, "/from");
                    let entry = callers.entry(owner).or_default();
                    if from.is_empty() {
                        entry.insert(None);
                    }
                    for peer in from {
                        entry.insert(Some(peer_deployable(peer).unwrap_or_else(|| {
                            panic!("{at}: NetworkPolicy {name}: a caller that is not a deployable")
                        })));
                    }
                }
            }
            for rule in list(policy, "/spec/egress") {
                for peer in list(rule, "/to") {
                    let Some(target) = peer_deployable(peer) else {
                        continue;
                    };
                    let target_main = main_container(&containers, target);
                    for port in list(rule, "/ports") {
                        assert_eq!(
                            target_main.resolve_port(port.get("port").unwrap()),
                            Some(target_main.port("listen")),
                            "{at}: NetworkPolicy {name}: {target}'s gRPC port"
                        );
                    }
                    calls.entry(owner).or_default().insert(target);
                }
            }
        }
        let expected_callers: BTreeMap<&str, BTreeSet<Option<&str>>> = [
            (GATEWAY, BTreeSet::from([None])),
            ("events", BTreeSet::from([Some(GATEWAY)])),
            (
                "services-catalog",
                BTreeSet::from([Some(GATEWAY), Some("inquiries")]),
            ),
            ("inquiries", BTreeSet::from([Some(GATEWAY)])),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            callers, expected_callers,
            "{at}: who may call each gRPC port"
        );
        let expected_calls: BTreeMap<&str, BTreeSet<&str>> = [
            (GATEWAY, BTreeSet::from(BACKENDS)),
            ("inquiries", BTreeSet::from(["services-catalog"])),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            calls, expected_calls,
            "{at}: which gRPC ports each deployable may call"
        );
    }
}

#[test]
fn secrets_are_references_outside_the_dev_overlay() {
    if renderings().is_empty() {
        return;
    }
    let base = kustomize("base");
    assert!(
        !base.iter().any(|o| text(o, "/kind") == Some("Secret")),
        "deploy/base must hold no Secret: operators create them"
    );
    for rendering in renderings().iter().filter(|r| !r.is_dev()) {
        assert_eq!(
            rendering.of_kind("Secret").count(),
            0,
            "{}: holds a Secret",
            rendering.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// The image

/// One Dockerfile instruction, continuation lines joined.
struct Instruction {
    keyword: String,
    arguments: String,
}

fn dockerfile() -> Vec<Instruction> {
    let path = deploy_dir().join("Dockerfile");
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("deploy/Dockerfile: {err}"));
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for line in source.lines() {
        let trimmed = line.trim();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(continued) = trimmed.strip_suffix('\\') {
            pending.push_str(continued);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let (keyword, arguments) = pending
            .split_once(char::is_whitespace)
            .unwrap_or((&pending, ""));
        instructions.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            arguments: arguments.trim().to_owned(),
        });
        pending.clear();
    }
    instructions
}

/// A build stage: its name and instructions.
struct Stage {
    base: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

fn stages() -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in dockerfile() {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction
                .arguments
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                _ => None,
            };
            stages.push(Stage {
                base: words.first().copied().unwrap_or_default().to_owned(),
                name,
                instructions: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .expect("deploy/Dockerfile: instructions before the first FROM")
                .instructions
                .push(instruction);
        }
    }
    stages
}

fn last<'a>(stage: &'a Stage, keyword: &str) -> Option<&'a str> {
    stage
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == keyword)
        .map(|i| i.arguments.as_str())
}

/// The runtime stage's USER, as (uid, gid).
fn dockerfile_user() -> (u64, Option<u64>) {
    let stages = stages();
    let runtime = stages.last().expect("deploy/Dockerfile has a stage");
    let user = last(runtime, "USER").expect("deploy/Dockerfile: the runtime stage sets no USER");
    let (uid, gid) = match user.split_once(':') {
        Some((uid, gid)) => (uid, Some(gid)),
        None => (user, None),
    };
    let numeric = |id: &str| {
        id.parse::<u64>().unwrap_or_else(|_| {
            panic!("deploy/Dockerfile: USER {user} must be numeric (runAsNonRoot checks a uid)")
        })
    };
    let uid = numeric(uid);
    assert_ne!(uid, 0, "deploy/Dockerfile: USER must not be root");
    (uid, gid.map(numeric))
}

#[test]
fn the_image_copies_the_built_binary_and_runs_it_as_a_numeric_user() {
    let (uid, gid) = dockerfile_user();
    assert_ne!(
        gid,
        Some(0),
        "deploy/Dockerfile: the group must not be root's"
    );
    assert!(uid > 0);

    let stages = stages();
    let runtime = stages.last().unwrap();
    // The binary cargo builds for this package: its file name, from cargo itself.
    let binary = Path::new(env!("CARGO_BIN_EXE_jalia"))
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let copy = runtime
        .instructions
        .iter()
        .filter(|i| i.keyword == "COPY")
        .find(|i| i.arguments.starts_with("--from="))
        .expect("deploy/Dockerfile: the runtime stage copies nothing from the build stage");
    let words: Vec<&str> = copy.arguments.split_whitespace().collect();
    let from = words[0].trim_start_matches("--from=");
    let (source, destination) = match words.as_slice() {
        [_, source, destination] => (*source, *destination),
        _ => panic!(
            "deploy/Dockerfile: COPY {}: one file expected",
            copy.arguments
        ),
    };
    let build = stages
        .iter()
        .find(|s| s.name.as_deref() == Some(from))
        .unwrap_or_else(|| panic!("deploy/Dockerfile: no stage named {from}"));
    let workdir =
        last(build, "WORKDIR").expect("deploy/Dockerfile: the build stage sets no WORKDIR");
    let cargo = build
        .instructions
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.arguments.as_str())
        .find(|run| run.contains("cargo build"))
        .expect("deploy/Dockerfile: the build stage runs no `cargo build`");
    let package = env!("CARGO_PKG_NAME");
    for needed in ["--release", "--locked", &format!("-p {package}")] {
        assert!(
            cargo.contains(needed),
            "deploy/Dockerfile: `cargo build` without {needed}"
        );
    }
    let built = format!("{}/target/release/{binary}", workdir.trim_end_matches('/'));
    assert_eq!(
        source, built,
        "deploy/Dockerfile copies a path the build does not produce"
    );

    let entrypoint = last(runtime, "ENTRYPOINT").expect("deploy/Dockerfile: no ENTRYPOINT");
    let entrypoint: Vec<String> = serde_json::from_str(entrypoint)
        .unwrap_or_else(|_| panic!("deploy/Dockerfile: ENTRYPOINT must be exec form (JSON)"));
    assert_eq!(
        entrypoint,
        [destination],
        "deploy/Dockerfile: ENTRYPOINT runs what it copied"
    );

    // The builder's Rust is at least the workspace's rust-version.
    let tag = build.base.split(':').nth(1).unwrap_or_default();
    let version = |v: &str| -> Vec<u32> { v.split('.').map_while(|p| p.parse().ok()).collect() };
    let image_rust = version(tag.split('-').next().unwrap_or_default());
    let needed = version(env!("CARGO_PKG_RUST_VERSION"));
    assert!(
        build.base.starts_with("rust:") && image_rust.len() >= 2 && image_rust >= needed,
        "deploy/Dockerfile: build on an official rust image at or above rust-version {needed:?}, not {}",
        build.base
    );
}

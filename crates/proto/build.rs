//! Compiles every .proto under the workspace's `proto/` with protox (no system protoc),
//! generates the tonic/prost code, writes the descriptor set encoded by protox itself (so
//! our extension options survive), and writes `Debug` impls that redact fields marked
//! `(jalia.options.v1.personal_data)`, and the access table each RPC declares with
//! `(jalia.options.v1.access)` (src/access.rs).

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use protox::prost_reflect::{DescriptorPool, ExtensionDescriptor, MessageDescriptor, Value};

const PERSONAL_DATA_OPTION: &str = "jalia.options.v1.personal_data";
const ACCESS_OPTION: &str = "jalia.options.v1.access";
const ROOT_PACKAGE: &str = "jalia.";

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto").canonicalize()?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut files = Vec::new();
    collect_protos(&proto_root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;

    fs::write(
        out_dir.join("jalia_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    let pool = compiler.descriptor_pool();
    let personal = messages_with_personal_data(&pool);
    fs::write(
        out_dir.join("redacted_debug.rs"),
        redacted_debug_impls(&personal),
    )?;
    fs::write(out_dir.join("access_table.rs"), access_table(&pool)?)?;

    let fds = compiler.file_descriptor_set();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .skip_debug(
            personal
                .iter()
                .map(|message| format!(".{}", message.full_name())),
        )
        .compile_fds(fds)?;

    if std::env::var_os("CARGO_FEATURE_TESTING").is_some() {
        compile_probe(&manifest_dir, &proto_root, &out_dir)?;
    }
    servers_decode_with_our_codec(&out_dir)?;
    Ok(())
}

/// What tonic-prost-build writes where a method builds its codec.
const PROST_CODEC: &str = "tonic_prost::ProstCodec::default()";
/// Our codec for servers (src/codec.rs): undecodable requests are INVALID_ARGUMENT.
const REQUEST_CODEC: &str = "crate::codec::RequestCodec::default()";

/// tonic-prost-build takes one codec for servers and clients alike, but only a server may
/// blame the other side for bytes that do not decode: a client that cannot read a response
/// did nothing wrong. So the generated server modules are given our codec afterwards, and
/// the clients keep tonic-prost's.
fn servers_decode_with_our_codec(out_dir: &Path) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(out_dir)? {
        let path = entry?.path();
        let is_generated = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("jalia.") && name.ends_with(".rs"));
        if !is_generated {
            continue;
        }
        let code = fs::read_to_string(&path)?;
        let rewritten =
            with_server_codec(&code).map_err(|problem| format!("{}: {problem}", path.display()))?;
        if rewritten != code {
            fs::write(&path, rewritten)?;
        }
    }
    Ok(())
}

/// Rewrites the codec inside each top-level `pub mod *_server { ... }`. Fails, rather than
/// leave a server on tonic-prost's codec, when the generated code no longer has the shape
/// this expects.
fn with_server_codec(code: &str) -> Result<String, String> {
    let mut rewritten = String::with_capacity(code.len());
    let mut in_server = false;
    let (mut servers, mut servers_rewritten) = (0, 0);
    let mut rewrote_this_server = false;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with("pub mod ") && trimmed.ends_with("_server {") {
            in_server = true;
            rewrote_this_server = false;
            servers += 1;
        } else if in_server && trimmed == "}" {
            in_server = false;
            if rewrote_this_server {
                servers_rewritten += 1;
            }
        }
        if in_server && line.contains(PROST_CODEC) {
            rewritten.push_str(&line.replace(PROST_CODEC, REQUEST_CODEC));
            rewrote_this_server = true;
        } else {
            rewritten.push_str(line);
        }
    }
    if servers_rewritten != servers {
        return Err(format!(
            "{servers} server modules, {servers_rewritten} given our codec: the generated code changed shape"
        ));
    }
    Ok(rewritten)
}

/// The test-only probe service, in its own descriptor set so it never shows in the
/// contracts a deployed server reflects.
fn compile_probe(
    manifest_dir: &Path,
    proto_root: &Path,
    out_dir: &Path,
) -> Result<(), Box<dyn Error>> {
    let testing_root = manifest_dir.join("testing");
    let probe = testing_root.join("jalia/testing/v1/probe.proto");
    println!("cargo:rerun-if-changed={}", probe.display());
    let mut compiler = protox::Compiler::new([testing_root.as_path(), proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files([&probe])?;
    fs::write(
        out_dir.join("probe_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    // The options package is generated with the contracts already.
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .extern_path(".jalia.options.v1", "crate::options::v1")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

fn is_personal(field: &protox::prost_reflect::FieldDescriptor, pool: &DescriptorPool) -> bool {
    let Some(extension) = pool.get_extension_by_name(PERSONAL_DATA_OPTION) else {
        return false;
    };
    let options = field.options();
    options.has_extension(&extension)
        && matches!(
            options.get_extension(&extension).as_ref(),
            Value::Bool(true)
        )
}

fn messages_with_personal_data(pool: &DescriptorPool) -> Vec<MessageDescriptor> {
    pool.all_messages()
        .filter(|message| message.package_name().starts_with(ROOT_PACKAGE))
        .filter(|message| message.fields().any(|field| is_personal(&field, pool)))
        .collect()
}

/// One `Debug` impl per message holding personal data: ordinary fields print as usual,
/// personal ones (or a oneof containing one) print as `[redacted]`.
fn redacted_debug_impls(messages: &[MessageDescriptor]) -> String {
    let mut code = String::new();
    for message in messages {
        let pool = message.parent_pool();
        let rust_path = rust_type_path(message);
        let mut entries = Vec::new();
        let mut seen_oneofs = BTreeSet::new();
        for field in message.fields() {
            match field
                .containing_oneof()
                .filter(|oneof| !oneof.is_synthetic())
            {
                Some(oneof) => {
                    if seen_oneofs.insert(oneof.name().to_owned()) {
                        let redact = oneof.fields().any(|member| is_personal(&member, pool));
                        entries.push((oneof.name().to_owned(), redact));
                    }
                }
                None => entries.push((field.name().to_owned(), is_personal(&field, pool))),
            }
        }
        let _ = writeln!(code, "impl ::core::fmt::Debug for {rust_path} {{");
        let _ = writeln!(
            code,
            "    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{"
        );
        let _ = writeln!(code, "        f.debug_struct({:?})", message.name());
        for (name, redact) in entries {
            if redact {
                let _ = writeln!(code, "            .field({name:?}, &\"[redacted]\")");
            } else {
                let _ = writeln!(
                    code,
                    "            .field({name:?}, &self.{})",
                    rust_ident(&name)
                );
            }
        }
        let _ = writeln!(code, "            .finish()\n    }}\n}}");
    }
    code
}

/// The path prost gives a message, with the crate's modules mirroring the packages minus
/// the leading `jalia` (see lib.rs).
fn rust_type_path(message: &MessageDescriptor) -> String {
    let package = message.package_name().trim_start_matches(ROOT_PACKAGE);
    let mut path = String::from("crate");
    for part in package.split('.') {
        path.push_str("::");
        path.push_str(&rust_ident(part));
    }
    let nesting: Vec<&str> = message
        .full_name()
        .trim_start_matches(message.package_name())
        .trim_start_matches('.')
        .split('.')
        .collect();
    if let Some((last, parents)) = nesting.split_last() {
        for parent in parents {
            path.push_str("::");
            path.push_str(&rust_ident(&snake_case(parent)));
        }
        path.push_str("::");
        path.push_str(last);
    }
    path
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (index, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn rust_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use",
        "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// The access rule of every RPC of our services, as a Rust expression of type
/// `&[(&str, &[(&str, Option<Compiled>)])]` (service, then each method and its rule, `None`
/// when it declares none). Read here, at build time, because reading it at start means
/// decoding a pool of the whole descriptor set, source comments included: about 4 MiB of
/// heap for a table of a few dozen entries, which glibc then keeps as resident memory.
fn access_table(pool: &DescriptorPool) -> Result<String, Box<dyn Error>> {
    let extension = pool
        .get_extension_by_name(ACCESS_OPTION)
        .ok_or_else(|| format!("the descriptor set lacks `{ACCESS_OPTION}`"))?;
    let mut table = String::from("&[\n");
    for service in pool
        .services()
        .filter(|service| service.full_name().starts_with(ROOT_PACKAGE))
    {
        writeln!(table, "    ({:?}, &[", service.full_name())?;
        for method in service.methods() {
            writeln!(
                table,
                "        ({:?}, {}),",
                method.name(),
                compiled_rule(&method.options(), &extension)
            )?;
        }
        table.push_str("    ]),\n");
    }
    table.push_str("]\n");
    Ok(table)
}

/// The same reading as `access::rule_of`: `public: true`, or a scope that is not blank;
/// anything else counts as no rule.
fn compiled_rule(
    options: &protox::prost_reflect::DynamicMessage,
    extension: &ExtensionDescriptor,
) -> String {
    if !options.has_extension(extension) {
        return "None".to_owned();
    }
    let value = options.get_extension(extension);
    let Value::Message(access) = value.as_ref() else {
        return "None".to_owned();
    };
    if access.has_field_by_name("public") {
        return match access.get_field_by_name("public").as_deref() {
            Some(Value::Bool(true)) => "Some(Compiled::Public)".to_owned(),
            _ => "None".to_owned(),
        };
    }
    if access.has_field_by_name("scope")
        && let Some(Value::String(scope)) = access.get_field_by_name("scope").as_deref()
        && !scope.trim().is_empty()
    {
        return format!("Some(Compiled::Scope({scope:?}))");
    }
    "None".to_owned()
}

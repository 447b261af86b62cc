#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Token verification and access checks (ARCHITECTURE.md §3), each case with a real signed token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jalia_proto::AccessRule;
use jalia_runtime::Mode;
use jalia_runtime::auth::{
    AgencyScope, AuthConfig, AuthError, AuthSetupError, Caller, Denied, DevTokenIssuer,
    TokenClaims, Verifier, authorize,
};
use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const TTL: Duration = Duration::from_secs(600);

fn now() -> Timestamp {
    Timestamp::from_second(1_900_000_000).unwrap()
}

/// A generated signing key with its public JWK.
struct TestKey {
    kid: String,
    alg: Algorithm,
    signing: EncodingKey,
    jwk: Value,
    public_raw: Vec<u8>,
}

impl TestKey {
    fn ed25519(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let raw = pair.public_key_raw().to_vec();
        assert_eq!(raw.len(), 32);
        Self {
            kid: kid.to_owned(),
            alg: Algorithm::EdDSA,
            signing: EncodingKey::from_ed_pem(pair.serialize_pem().as_bytes()).unwrap(),
            jwk: json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&raw),
            }),
            public_raw: raw,
        }
    }

    fn p256(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = pair.public_key_raw().to_vec();
        assert_eq!((raw.len(), raw[0]), (65, 0x04));
        Self {
            kid: kid.to_owned(),
            alg: Algorithm::ES256,
            signing: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256",
                "x": URL_SAFE_NO_PAD.encode(&raw[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&raw[33..]),
            }),
            public_raw: raw,
        }
    }

    /// Signs with this key, under `kid` (which a test may set to another key's id).
    fn sign_as(&self, kid: &str, claims: &impl serde::Serialize) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.signing).unwrap()
    }

    fn sign(&self, claims: &impl serde::Serialize) -> String {
        self.sign_as(&self.kid, claims)
    }
}

fn write_jwks(path: &Path, keys: &[&TestKey]) {
    let doc = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

/// A temporary folder holding a JWKS of one Ed25519 and one P-256 key.
struct Fixture {
    dir: tempfile::TempDir,
    ed: TestKey,
    ec: TestKey,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ed = TestKey::ed25519("ed-1");
        let ec = TestKey::p256("ec-1");
        write_jwks(&dir.path().join("jwks.json"), &[&ed, &ec]);
        Self { dir, ed, ec }
    }

    fn jwks_path(&self) -> PathBuf {
        self.dir.path().join("jwks.json")
    }

    fn dev_key_path(&self) -> PathBuf {
        self.dir.path().join("data").join("dev-key")
    }

    fn production(&self) -> AuthConfig {
        AuthConfig {
            jwks_file: Some(self.jwks_path()),
            ..AuthConfig::default()
        }
    }

    fn development(&self) -> AuthConfig {
        AuthConfig {
            mode: Mode::Development,
            jwks_file: Some(self.jwks_path()),
            dev_key_file: Some(self.dev_key_path()),
            ..AuthConfig::default()
        }
    }
}

fn claims(scopes: &[&str]) -> TokenClaims {
    TokenClaims::new(
        &AuthConfig::default(),
        "portal-bm",
        "bm",
        scopes,
        now(),
        TTL,
    )
}

/// Claims as raw JSON, for tokens the typed claims cannot express (missing fields).
fn claims_json() -> serde_json::Map<String, Value> {
    match serde_json::to_value(claims(&["events.read"])).unwrap() {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

fn hs256(secret: &[u8], kid: Option<&str>, claims: &impl serde::Serialize) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn valid_eddsa_token_gives_the_caller() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let token = fx.ed.sign(&claims(&["events.read", "events.write"]));
    let caller = verifier.verify(&token, now()).await.unwrap();
    assert_eq!(
        caller,
        Caller {
            subject: "portal-bm".to_owned(),
            agency: AgencyScope::Agency("bm".to_owned()),
            scopes: ["events.read", "events.write"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    );
    assert!(caller.has_scope("events.write"));
    assert!(!caller.has_scope("catalog.write"));
    assert!(caller.acts_for("bm"));
    assert!(!caller.acts_for("rb"));
    assert!(!caller.is_ministry_wide());
}

#[tokio::test]
async fn valid_es256_token_gives_the_caller() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims(&["inquiries.stats"]);
    c.agency = "*".to_owned();
    c.sub = "ministry-dashboard".to_owned();
    let caller = verifier.verify(&fx.ec.sign(&c), now()).await.unwrap();
    assert_eq!(caller.subject, "ministry-dashboard");
    assert_eq!(caller.agency, AgencyScope::Ministry);
    assert!(caller.is_ministry_wide());
    assert!(caller.acts_for("bm") && caller.acts_for("rb"));
    assert!(caller.has_scope("inquiries.stats"));
}

#[tokio::test]
async fn audience_may_be_a_list() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims_json();
    c.insert("aud".into(), json!(["other", "jalia"]));
    assert!(verifier.verify(&fx.ed.sign(&c), now()).await.is_ok());
    c.insert("aud".into(), json!(["other"]));
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::WrongAudience)
    );
}

#[tokio::test]
async fn no_token_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    assert_eq!(
        verifier.verify("", now()).await,
        Err(AuthError::MissingToken)
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let good = fx.ed.sign(&claims(&[]));
    let (head, _) = good.split_once('.').unwrap();
    for token in [
        "garbage".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        format!("{good}.extra"),
        format!("{head}.!!!.sig"),
        format!("Bearer {good}"),
        "x".repeat(10_000),
    ] {
        assert_eq!(
            verifier.verify(&token, now()).await,
            Err(AuthError::Malformed),
            "{token:.40}"
        );
    }
    // A payload that is not JSON, under a valid signature.
    let body = URL_SAFE_NO_PAD.encode(b"not json");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(fx.ed.kid.clone());
    let head = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    let message = format!("{head}.{body}");
    let sig =
        jsonwebtoken::crypto::sign(message.as_bytes(), &fx.ed.signing, Algorithm::EdDSA).unwrap();
    assert_eq!(
        verifier.verify(&format!("{message}.{sig}"), now()).await,
        Err(AuthError::Malformed)
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let fx = Fixture::new();
    for config in [fx.production(), fx.development()] {
        let verifier = Verifier::new(&config).unwrap();
        let payload = b64(&serde_json::to_value(claims(&["events.write"])).unwrap());
        for header in [
            json!({"alg": "none", "typ": "JWT"}),
            json!({"alg": "none", "kid": "ed-1"}),
            json!({"alg": "None"}),
        ] {
            let token = format!("{}.{payload}.", b64(&header));
            assert_eq!(
                verifier.verify(&token, now()).await,
                Err(AuthError::Unsigned)
            );
        }
    }
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused_in_production() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let c = claims(&["events.write"]);
    let jwks_text = std::fs::read(fx.jwks_path()).unwrap();
    for key in [&fx.ed, &fx.ec] {
        let secrets = [
            key.public_raw.clone(),
            serde_json::to_vec(&key.jwk).unwrap(),
            jwks_text.clone(),
        ];
        for secret in &secrets {
            for kid in [Some(key.kid.as_str()), None] {
                assert_eq!(
                    verifier.verify(&hs256(secret, kid, &c), now()).await,
                    Err(AuthError::SymmetricRefused)
                );
            }
        }
    }
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused_in_development() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.development()).unwrap();
    let c = claims(&["events.write"]);
    for key in [&fx.ed, &fx.ec] {
        // Naming the JWKS key: its algorithm is not HS256.
        assert_eq!(
            verifier
                .verify(&hs256(&key.public_raw, Some(&key.kid), &c), now())
                .await,
            Err(AuthError::AlgorithmMismatch)
        );
        // Naming no key: HS256 goes to the dev key, which the public key is not.
        assert_eq!(
            verifier
                .verify(&hs256(&key.public_raw, None, &c), now())
                .await,
            Err(AuthError::BadSignature)
        );
    }
}

#[tokio::test]
async fn hs256_is_refused_in_production_whatever_the_secret() {
    let fx = Fixture::new();
    // Mint with the very dev key a production server is (wrongly) also given.
    let issuer = DevTokenIssuer::from_config(&fx.development()).unwrap();
    let dev_token = issuer.mint(&claims(&["events.read"])).unwrap();
    let mut config = fx.production();
    config.dev_key_file = Some(fx.dev_key_path());
    let verifier = Verifier::new(&config).unwrap();
    assert_eq!(
        verifier.verify(&dev_token, now()).await,
        Err(AuthError::SymmetricRefused)
    );
    let token = hs256(b"any secret at all, long enough or not", None, &claims(&[]));
    assert_eq!(
        verifier.verify(&token, now()).await,
        Err(AuthError::SymmetricRefused)
    );
}

#[tokio::test]
async fn dev_token_is_accepted_in_development() {
    let fx = Fixture::new();
    let issuer = DevTokenIssuer::from_config(&fx.development()).unwrap();
    let token = issuer.mint(&claims(&["catalog.write"])).unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    let verifier = Verifier::new(&fx.development()).unwrap();
    let caller = verifier.verify(&token, now()).await.unwrap();
    assert_eq!(caller.subject, "portal-bm");
    assert!(caller.has_scope("catalog.write"));
    // Development also takes the JWKS keys when a file is given.
    assert!(
        verifier
            .verify(&fx.ed.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
    assert!(
        verifier
            .verify(&fx.ec.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn development_needs_no_jwks_file() {
    let fx = Fixture::new();
    let config = AuthConfig {
        jwks_file: None,
        ..fx.development()
    };
    let issuer = DevTokenIssuer::from_config(&config).unwrap();
    let verifier = Verifier::new(&config).unwrap();
    let token = issuer.mint(&claims(&["events.read"])).unwrap();
    assert!(verifier.verify(&token, now()).await.is_ok());
    assert_eq!(
        verifier.verify(&fx.ed.sign(&claims(&[])), now()).await,
        Err(AuthError::UnknownKeyId)
    );
}

#[test]
fn dev_token_issuer_is_refused_in_production() {
    let fx = Fixture::new();
    let mut config = fx.production();
    config.dev_key_file = Some(fx.dev_key_path());
    let err = DevTokenIssuer::from_config(&config).unwrap_err();
    assert!(matches!(err, AuthSetupError::NotDevelopment), "{err}");
    assert!(err.to_string().starts_with("JALIA_MODE:"), "{err}");
    // Refusing must not have created a key file either.
    assert!(!fx.dev_key_path().exists());
    let no_file = AuthConfig {
        dev_key_file: None,
        ..fx.development()
    };
    assert!(matches!(
        DevTokenIssuer::from_config(&no_file),
        Err(AuthSetupError::MissingDevKeyFile)
    ));
}

#[test]
fn minting_refuses_claims_the_verifier_would_refuse() {
    let fx = Fixture::new();
    let issuer = DevTokenIssuer::from_config(&fx.development()).unwrap();
    let mut c = claims(&[]);
    c.agency = "Bert Martin".to_owned();
    assert_eq!(issuer.mint(&c), Err(AuthError::InvalidClaim("agency")));
    let mut c = claims(&[]);
    c.sub = String::new();
    assert_eq!(issuer.mint(&c), Err(AuthError::MissingClaim("sub")));
    let mut c = claims(&[]);
    c.agency = "9bm".to_owned();
    assert_eq!(issuer.mint(&c), Err(AuthError::InvalidClaim("agency")));
    let mut c = claims(&[]);
    c.iat = None;
    assert_eq!(issuer.mint(&c), Err(AuthError::MissingClaim("iat")));
    let long = TokenClaims::new(
        &AuthConfig::default(),
        "portal-bm",
        "bm",
        &[],
        now(),
        Duration::from_secs(25 * 3600),
    );
    assert_eq!(issuer.mint(&long), Err(AuthError::LifetimeTooLong));
}

#[tokio::test]
async fn expired_token_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let token = fx.ed.sign(&claims(&[]));
    let exp = now().as_second() + 600;
    // Expired once exp + skew (30 s) <= now.
    let at = |s: i64| Timestamp::from_second(s).unwrap();
    assert!(verifier.verify(&token, at(exp + 29)).await.is_ok());
    assert_eq!(
        verifier.verify(&token, at(exp + 30)).await,
        Err(AuthError::Expired)
    );
    assert_eq!(
        verifier.verify(&token, at(exp + 86_400)).await,
        Err(AuthError::Expired)
    );
}

#[tokio::test]
async fn token_not_yet_valid_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims(&[]);
    c.nbf = Some(now().as_second() + 300);
    assert_eq!(
        verifier.verify(&fx.ec.sign(&c), now()).await,
        Err(AuthError::NotYetValid)
    );
    c.nbf = Some(now().as_second() + 31);
    assert_eq!(
        verifier.verify(&fx.ec.sign(&c), now()).await,
        Err(AuthError::NotYetValid)
    );
}

#[tokio::test]
async fn tokens_within_the_skew_are_accepted() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims(&[]);
    c.nbf = Some(now().as_second() + 30);
    assert!(verifier.verify(&fx.ed.sign(&c), now()).await.is_ok());
    let mut c = claims(&[]);
    c.exp = now().as_second() - 29;
    assert!(verifier.verify(&fx.ed.sign(&c), now()).await.is_ok());
    // A configured skew of zero is strict.
    let strict = Verifier::new(&AuthConfig {
        clock_skew: Duration::ZERO,
        ..fx.production()
    })
    .unwrap();
    assert_eq!(
        strict.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::Expired)
    );
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims(&[]);
    c.aud = "another-system".to_owned();
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::WrongAudience)
    );
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims(&[]);
    c.iss = "someone-else".to_owned();
    assert_eq!(
        verifier.verify(&fx.ec.sign(&c), now()).await,
        Err(AuthError::WrongIssuer)
    );
}

#[tokio::test]
async fn another_key_under_a_known_kid_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let c = claims(&["events.write"]);
    let impostor_ed = TestKey::ed25519("ed-1");
    assert_eq!(
        verifier.verify(&impostor_ed.sign(&c), now()).await,
        Err(AuthError::BadSignature)
    );
    let impostor_ec = TestKey::p256("ec-1");
    assert_eq!(
        verifier.verify(&impostor_ec.sign(&c), now()).await,
        Err(AuthError::BadSignature)
    );
    // A tampered payload under the real key's signature.
    let token = fx.ed.sign(&c);
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims_json();
    forged.insert("scope".into(), json!("events.write catalog.write"));
    let forged = b64(&Value::Object(forged));
    parts[1] = &forged;
    assert_eq!(
        verifier.verify(&parts.join("."), now()).await,
        Err(AuthError::BadSignature)
    );
}

#[tokio::test]
async fn header_alg_must_match_the_key() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    // Signed by the Ed25519 key but naming the P-256 key's id.
    assert_eq!(
        verifier
            .verify(&fx.ed.sign_as("ec-1", &claims(&[])), now())
            .await,
        Err(AuthError::AlgorithmMismatch)
    );
    assert_eq!(
        verifier
            .verify(&fx.ec.sign_as("ed-1", &claims(&[])), now())
            .await,
        Err(AuthError::AlgorithmMismatch)
    );
}

#[tokio::test]
async fn unknown_or_missing_kid_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let stranger = TestKey::ed25519("ed-unknown");
    assert_eq!(
        verifier.verify(&stranger.sign(&claims(&[])), now()).await,
        Err(AuthError::UnknownKeyId)
    );
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims(&[]), &fx.ed.signing).unwrap();
    assert_eq!(
        verifier.verify(&token, now()).await,
        Err(AuthError::MissingKeyId)
    );
}

#[tokio::test]
async fn unsupported_algorithms_are_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.development()).unwrap();
    let payload = b64(&serde_json::to_value(claims(&[])).unwrap());
    for alg in ["RS256", "HS512", "ES512", "whatever"] {
        let token = format!(
            "{}.{payload}.c2ln",
            b64(&json!({"alg": alg, "kid": "ed-1"}))
        );
        let err = verifier.verify(&token, now()).await.unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::UnsupportedAlgorithm | AuthError::AlgorithmMismatch
            ),
            "{alg}: {err:?}"
        );
    }
}

#[tokio::test]
async fn missing_or_invalid_claims_are_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    for name in ["sub", "agency", "exp", "iss", "aud"] {
        let mut c = claims_json();
        c.remove(name);
        assert_eq!(
            verifier.verify(&fx.ed.sign(&c), now()).await,
            Err(AuthError::MissingClaim(name)),
            "{name}"
        );
    }
    let mut c = claims_json();
    c.insert("sub".into(), json!(""));
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::MissingClaim("sub"))
    );
    // The rule of agency codes everywhere: a lowercase letter first.
    for agency in [
        "BM",
        "",
        "b m",
        "bm/rb",
        &"a".repeat(33),
        "**",
        "9bm",
        "-bm",
    ] {
        let mut c = claims_json();
        c.insert("agency".into(), json!(agency));
        let expected = if agency.is_empty() {
            AuthError::MissingClaim("agency")
        } else {
            AuthError::InvalidClaim("agency")
        };
        assert_eq!(
            verifier.verify(&fx.ed.sign(&c), now()).await,
            Err(expected),
            "{agency}"
        );
    }
    for (name, value) in [
        ("exp", json!("tomorrow")),
        ("nbf", json!(true)),
        ("scope", json!(["events.read"])),
        ("agency", json!(7)),
    ] {
        let mut c = claims_json();
        c.insert(name.into(), value);
        assert_eq!(
            verifier.verify(&fx.ed.sign(&c), now()).await,
            Err(AuthError::InvalidClaim(name)),
            "{name}"
        );
    }
    // No scope claim at all is a caller with no scopes, fit for public RPCs only.
    let mut c = claims_json();
    c.remove("scope");
    let caller = verifier.verify(&fx.ed.sign(&c), now()).await.unwrap();
    assert!(caller.scopes.is_empty());
    let mut c = claims_json();
    c.insert("agency".into(), json!("agence-99"));
    let caller = verifier.verify(&fx.ed.sign(&c), now()).await.unwrap();
    assert_eq!(caller.agency, AgencyScope::Agency("agence-99".into()));
}

#[tokio::test]
async fn rotation_picks_up_a_new_kid_without_a_new_verifier() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let clone = verifier.clone();
    assert!(
        verifier
            .verify(&fx.ed.sign(&claims(&[])), now())
            .await
            .is_ok()
    );

    let next = TestKey::ed25519("ed-2");
    write_jwks(&fx.jwks_path(), &[&next]);
    let caller = clone
        .verify(&next.sign(&claims(&["events.read"])), now())
        .await
        .unwrap();
    assert!(caller.has_scope("events.read"));
    assert!(
        verifier
            .verify(&next.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
    // The retired key went with the old file.
    assert_eq!(
        verifier.verify(&fx.ed.sign(&claims(&[])), now()).await,
        Err(AuthError::UnknownKeyId)
    );
}

#[tokio::test]
async fn reloads_for_unknown_kids_are_rate_limited() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    // This unknown kid spends the reload allowance on an unchanged file.
    let stranger = TestKey::ed25519("ed-stranger");
    assert_eq!(
        verifier.verify(&stranger.sign(&claims(&[])), now()).await,
        Err(AuthError::UnknownKeyId)
    );
    let next = TestKey::p256("ec-2");
    write_jwks(&fx.jwks_path(), &[&fx.ed, &next]);
    let token = next.sign(&claims(&[]));
    // The interval is measured by the server's clock, which the caller passes.
    let almost = now() + SignedDuration::from_millis(999);
    assert_eq!(
        verifier.verify(&token, almost).await,
        Err(AuthError::UnknownKeyId)
    );
    let later = now() + SignedDuration::from_millis(1000);
    assert!(verifier.verify(&token, later).await.is_ok());
}

#[tokio::test]
async fn a_broken_replacement_file_keeps_the_old_keys() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    std::fs::write(fx.jwks_path(), b"{\"keys\": [ truncated").unwrap();
    let stranger = TestKey::ed25519("ed-9");
    assert_eq!(
        verifier.verify(&stranger.sign(&claims(&[])), now()).await,
        Err(AuthError::UnknownKeyId)
    );
    assert!(
        verifier
            .verify(&fx.ed.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
    assert!(
        verifier
            .verify(&fx.ec.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_changed_file_is_noticed_by_its_modification_time() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    assert!(
        verifier
            .verify(&fx.ed.sign(&claims(&[])), now())
            .await
            .is_ok()
    );
    // Same kid, new key: no unknown kid to trigger a reload, only the file's change.
    let replacement = TestKey::ed25519("ed-1");
    write_jwks(&fx.jwks_path(), &[&replacement]);
    // Within the interval (by the server's clock) the file is not looked at.
    let soon = now() + SignedDuration::from_millis(500);
    assert!(
        verifier
            .verify(&fx.ed.sign(&claims(&[])), soon)
            .await
            .is_ok()
    );
    // The first call after the interval checks the file and reloads it.
    let later = now() + SignedDuration::from_millis(1100);
    assert_eq!(
        verifier.verify(&fx.ed.sign(&claims(&[])), later).await,
        Err(AuthError::BadSignature)
    );
    assert!(
        verifier
            .verify(&replacement.sign(&claims(&[])), later)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_jwks_reload_never_blocks_the_async_worker() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    // The file becomes a FIFO: reading it blocks until a writer opens it.
    let fifo = fx.dir.path().join("jwks.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::rename(&fifo, fx.jwks_path()).unwrap();
    let next = TestKey::ed25519("ed-next");
    let jwks = json!({ "keys": [next.jwk.clone()] }).to_string();
    let (go, released) = std::sync::mpsc::channel::<()>();
    let path = fx.jwks_path();
    let writer = std::thread::spawn(move || {
        // Only a last resort: with a blocked worker, the test could never say go.
        let by_the_test = released.recv_timeout(Duration::from_secs(30)).is_ok();
        std::fs::write(&path, jwks).unwrap();
        by_the_test
    });
    let token = next.sign(&claims(&[]));
    let verifying = tokio::spawn(async move { verifier.verify(&token, now()).await });
    // The runtime has one worker: this line runs only if the read did not take it.
    tokio::task::yield_now().await;
    go.send(()).unwrap();
    assert!(verifying.await.unwrap().is_ok(), "the new key was read");
    assert!(
        writer.join().unwrap(),
        "the async worker was blocked reading the JWKS file"
    );
}

#[tokio::test]
async fn iat_is_required_and_bounds_the_lifetime() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let mut c = claims_json();
    c.remove("iat");
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::MissingClaim("iat"))
    );
    let mut c = claims_json();
    c.insert("iat".into(), json!("yesterday"));
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::InvalidClaim("iat"))
    );
    // Issued in the future, beyond the skew.
    let mut c = claims_json();
    c.insert("iat".into(), json!(now().as_second() + 120));
    assert_eq!(
        verifier.verify(&fx.ed.sign(&c), now()).await,
        Err(AuthError::NotYetValid)
    );
    // A day is the default maximum lifetime: exactly a day passes, a second more does not.
    let day = 24 * 3600;
    for (lifetime, accepted) in [(day, true), (day + 1, false), (400 * day, false)] {
        let mut c = claims_json();
        c.insert("iat".into(), json!(now().as_second() - 60));
        c.insert("exp".into(), json!(now().as_second() - 60 + lifetime));
        let outcome = verifier.verify(&fx.ed.sign(&c), now()).await;
        if accepted {
            assert!(outcome.is_ok(), "{lifetime}: {outcome:?}");
        } else {
            assert_eq!(outcome, Err(AuthError::LifetimeTooLong), "{lifetime}");
        }
    }
    // A configured maximum replaces the default.
    let short = Verifier::new(&AuthConfig {
        max_token_lifetime: Duration::from_secs(300),
        ..fx.production()
    })
    .unwrap();
    assert_eq!(
        short.verify(&fx.ed.sign(&claims(&[])), now()).await,
        Err(AuthError::LifetimeTooLong)
    );
}

#[tokio::test]
async fn a_token_of_another_type_is_refused() {
    let fx = Fixture::new();
    let verifier = Verifier::new(&fx.production()).unwrap();
    let typed = |typ: Option<&str>| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(fx.ed.kid.clone());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims(&[]), &fx.ed.signing).unwrap()
    };
    for typ in [
        None,
        Some("JWT"),
        Some("jwt"),
        Some("at+jwt"),
        Some("AT+JWT"),
        Some("application/at+jwt"),
    ] {
        assert!(verifier.verify(&typed(typ), now()).await.is_ok(), "{typ:?}");
    }
    for typ in ["dpop+jwt", "JOSE", "", "application/dpop+jwt", "id+jwt"] {
        assert_eq!(
            verifier.verify(&typed(Some(typ)), now()).await,
            Err(AuthError::WrongType),
            "{typ}"
        );
    }
}

#[test]
fn token_settings_out_of_range_are_setup_errors_naming_them() {
    let fx = Fixture::new();
    let err = Verifier::new(&AuthConfig {
        clock_skew: Duration::from_secs(301),
        ..fx.production()
    })
    .unwrap_err();
    assert!(
        err.to_string().starts_with("JALIA_TOKEN_CLOCK_SKEW:"),
        "{err}"
    );
    assert!(
        Verifier::new(&AuthConfig {
            clock_skew: Duration::from_secs(300),
            ..fx.production()
        })
        .is_ok()
    );
    for lifetime in [Duration::from_secs(59), Duration::from_secs(31 * 24 * 3600)] {
        let err = Verifier::new(&AuthConfig {
            max_token_lifetime: lifetime,
            ..fx.production()
        })
        .unwrap_err();
        assert!(
            err.to_string().starts_with("JALIA_TOKEN_MAX_LIFETIME:"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn dev_key_file_is_created_once_and_reused() {
    let fx = Fixture::new();
    let config = AuthConfig {
        jwks_file: None,
        ..fx.development()
    };
    assert!(!fx.dev_key_path().exists());
    let first = Verifier::new(&config).unwrap();
    let written = std::fs::read(fx.dev_key_path()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(fx.dev_key_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let secret = URL_SAFE_NO_PAD
        .decode(std::str::from_utf8(&written).unwrap().trim())
        .unwrap();
    assert!(secret.len() >= 32);

    let second = Verifier::new(&config).unwrap();
    let issuer = DevTokenIssuer::from_config(&config).unwrap();
    assert_eq!(std::fs::read(fx.dev_key_path()).unwrap(), written);
    let token = issuer.mint(&claims(&[])).unwrap();
    assert!(first.verify(&token, now()).await.is_ok());
    assert!(second.verify(&token, now()).await.is_ok());
    // The token really is signed with the file's secret.
    assert_eq!(token, hs256(&secret, None, &claims(&[])));
    // No staging files are left next to the key.
    let entries: Vec<_> = std::fs::read_dir(fx.dev_key_path().parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);

    // Another data folder gets another key.
    let other = tempfile::tempdir().unwrap();
    let other_config = AuthConfig {
        dev_key_file: Some(other.path().join("dev-key")),
        ..config
    };
    let other_verifier = Verifier::new(&other_config).unwrap();
    assert_eq!(
        other_verifier.verify(&token, now()).await,
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_short_or_garbled_dev_key_file_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev-key");
    for content in [&b"c2hvcnQ\n"[..], b"not base64 at all!\n"] {
        std::fs::write(&path, content).unwrap();
        let err = Verifier::new(&AuthConfig {
            mode: Mode::Development,
            dev_key_file: Some(path.clone()),
            ..AuthConfig::default()
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("JALIA_DATA: dev key file"), "{message}");
        assert!(!message.contains("c2hvcnQ"), "{message}");
    }
}

#[tokio::test]
async fn setup_errors_name_the_setting() {
    let err = Verifier::new(&AuthConfig::default()).unwrap_err();
    assert!(matches!(err, AuthSetupError::MissingJwksFile));
    assert!(err.to_string().starts_with("JALIA_JWKS_FILE:"), "{err}");

    let err = Verifier::new(&AuthConfig {
        mode: Mode::Development,
        ..AuthConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, AuthSetupError::NoDevelopmentKeys), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    let config = AuthConfig {
        jwks_file: Some(path.clone()),
        ..AuthConfig::default()
    };
    let secret_x = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let x1 = URL_SAFE_NO_PAD.encode([1u8; 32]);
    let y2 = URL_SAFE_NO_PAD.encode([2u8; 32]);
    for (doc, reason) in [
        (None, "cannot open"),
        (Some(json!({"not": "a jwks"})), "not a JWKS"),
        (Some(json!({"keys": []})), "no usable signing keys"),
        (
            Some(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x1}]})),
            "key #0: no `kid`",
        ),
        (
            Some(json!({"keys": [{"kty": "oct", "kid": "h", "k": secret_x}]})),
            "key `h`: symmetric (oct) keys are not accepted",
        ),
        (
            Some(
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "p", "x": x1, "d": secret_x}]}),
            ),
            "key `p` holds private key material",
        ),
        (
            Some(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "s", "x": "AAAA"}]})),
            "key `s`: `x` is not 32 bytes",
        ),
        (
            Some(json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "c", "x": x1, "y": y2}]})),
            "key `c`: not a valid public key",
        ),
        (
            Some(json!({"keys": [{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}]})),
            "no usable signing keys",
        ),
        (
            Some(
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "d", "x": x1}, {"kty": "OKP", "crv": "Ed25519", "kid": "d", "x": x1}]}),
            ),
            "the `kid` is used twice",
        ),
    ] {
        match &doc {
            None => {
                let _ = std::fs::remove_file(&path);
            }
            Some(doc) => std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap(),
        }
        let err = Verifier::new(&config).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("JALIA_JWKS_FILE:"), "{message}");
        assert!(message.contains(reason), "{message}");
        assert!(!message.contains(&secret_x), "{message}");
    }
    std::fs::write(&path, b"{\"keys\": [{\"kty\": \"OKP\", \"x\": \"c2VjcmV0\"").unwrap();
    let message = Verifier::new(&config).unwrap_err().to_string();
    assert!(message.contains("not valid JSON (line 1"), "{message}");
    assert!(!message.contains("c2VjcmV0"), "{message}");

    // The key's declared alg must fit the key.
    let ed = TestKey::ed25519("ed");
    let mut jwk = ed.jwk.clone();
    jwk["alg"] = json!("ES256");
    std::fs::write(&path, serde_json::to_vec(&json!({"keys": [jwk]})).unwrap()).unwrap();
    assert!(Verifier::new(&config).is_err());
    // Keys of other kinds are skipped when a usable one is present.
    let rsa = json!({"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"});
    let enc = json!({"kty": "EC", "crv": "P-256", "kid": "e", "use": "enc", "x": "AA", "y": "AA"});
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"keys": [rsa, enc, ed.jwk]})).unwrap(),
    )
    .unwrap();
    let verifier = Verifier::new(&config).unwrap();
    assert!(verifier.verify(&ed.sign(&claims(&[])), now()).await.is_ok());
}

#[test]
fn authorize_follows_the_declared_rule() {
    let caller = Caller {
        subject: "portal-bm".into(),
        agency: AgencyScope::Agency("bm".into()),
        scopes: ["events.read".to_owned()].into(),
    };
    assert_eq!(authorize(&AccessRule::Public, None), Ok(()));
    assert_eq!(authorize(&AccessRule::Public, Some(&caller)), Ok(()));
    let read = AccessRule::Scope("events.read".into());
    let write = AccessRule::Scope("events.write".into());
    assert_eq!(authorize(&read, None), Err(Denied::Unauthenticated));
    assert_eq!(authorize(&read, Some(&caller)), Ok(()));
    assert_eq!(
        authorize(&write, Some(&caller)),
        Err(Denied::PermissionDenied {
            scope: "events.write".into()
        })
    );
    // Ministry-wide reach does not stand in for a scope.
    let ministry = Caller {
        agency: AgencyScope::Ministry,
        ..caller
    };
    assert!(authorize(&write, Some(&ministry)).is_err());
}

#[test]
fn verifier_and_issuer_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Verifier>();
    shareable::<DevTokenIssuer>();
}

#[test]
fn debug_output_holds_no_key_material() {
    let fx = Fixture::new();
    let config = fx.development();
    let verifier = Verifier::new(&config).unwrap();
    let issuer = DevTokenIssuer::from_config(&config).unwrap();
    let dev_secret = std::fs::read_to_string(fx.dev_key_path()).unwrap();
    let dev_secret = dev_secret.trim();
    let secret_bytes = URL_SAFE_NO_PAD.decode(dev_secret).unwrap();
    let debug = format!(
        "{verifier:?} {issuer:?} {config:?} {:?}",
        AuthConfig::default()
    );
    assert!(debug.contains("[redacted]"), "{debug}");
    for forbidden in [
        dev_secret.to_owned(),
        format!("{secret_bytes:?}"),
        format!("{:?}", &secret_bytes[..8])
            .trim_end_matches(']')
            .to_owned(),
        fx.ed.jwk["x"].as_str().unwrap().to_owned(),
        fx.ec.jwk["x"].as_str().unwrap().to_owned(),
        fx.ec.jwk["y"].as_str().unwrap().to_owned(),
    ] {
        assert!(!debug.contains(&forbidden), "{debug}");
    }
}

//! Media types: parsing of `Accept` / `Content-Type` and content negotiation.
//!
//! Parameters are parsed, never substring-matched: a naive `contains("v=v2")`
//! also matches `v=v2beta1` and breaks kubectl 1.27–1.29 discovery
//! (kube-api.md §4.4). Negotiation follows k8s.io/apiserver: Accept entries
//! are ordered by q-value (wildcards after concrete types of equal q, order
//! otherwise kept) and the first entry the server can satisfy wins; any of
//! the `as`/`g`/`v` parameters asks for a conversion that must be supported
//! exactly, unknown parameters (`charset`, `pretty`, `stream`) are ignored.

use thiserror::Error;

use crate::discovery::AggregatedVersion;
use crate::table::MetaVersion;

/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/yaml`.
pub const YAML: &str = "application/yaml";
/// `application/vnd.kubernetes.protobuf`.
pub const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
/// Media types this server can produce for objects (for 406 messages).
pub const OBJECT_MEDIA_TYPES: &[&str] = &[JSON, YAML];
/// Media types accepted as request bodies (for 415 messages).
pub const BODY_MEDIA_TYPES: &[&str] = &[JSON, YAML, PROTOBUF];
/// Patch media types in Kubernetes' order (for 415 messages).
pub const PATCH_MEDIA_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// Errors from parsing or classifying a media type.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MediaError {
    /// The header is not a media type at all.
    #[error("invalid media type {input:?}: {reason}")]
    Invalid {
        /// The offending header value.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A well-formed but unsupported body type (HTTP 415), worded like kube-apiserver.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: {}",
        .accepted.join(", ")
    )]
    Unsupported {
        /// The media type that was sent.
        media_type: String,
        /// What would have been accepted.
        accepted: Vec<&'static str>,
    },
}

/// A parsed media type: lower-cased `type/subtype` and parameters in order.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaType {
    /// Top-level type, lower-cased (`application`, `*`).
    pub type_: String,
    /// Subtype, lower-cased (`json`, `*`).
    pub subtype: String,
    /// Parameters with lower-cased names and unquoted, case-preserved values.
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses one media type (`type/subtype *(; name=value)`), tolerating whitespace.
    pub fn parse(input: &str) -> Result<Self, MediaError> {
        let err = |reason: &str| MediaError::Invalid {
            input: input.to_string(),
            reason: reason.into(),
        };
        let mut p = Cursor {
            s: input.trim().as_bytes(),
            i: 0,
        };
        let type_ = p.token(|c| c == b'/');
        if type_.is_empty() || !p.eat(b'/') {
            return Err(err("expected type/subtype"));
        }
        let subtype = p.token(|c| c == b';');
        if subtype.is_empty() {
            return Err(err("missing subtype"));
        }
        let mut params = Vec::new();
        loop {
            p.skip_ws();
            if p.done() {
                break;
            }
            if !p.eat(b';') {
                return Err(err("expected ';' between parameters"));
            }
            p.skip_ws();
            if p.done() {
                break;
            }
            let name = p.token(|c| c == b'=' || c == b';');
            p.skip_ws();
            if name.is_empty() || !p.eat(b'=') {
                return Err(err("expected parameter name=value"));
            }
            p.skip_ws();
            let value = if p.peek() == Some(b'"') {
                p.quoted()
                    .ok_or_else(|| err("unterminated quoted string"))?
            } else {
                p.token(|c| c == b';')
            };
            params.push((name.to_ascii_lowercase(), value));
        }
        Ok(Self {
            type_: type_.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params,
        })
    }

    /// The value of parameter `name` (case-insensitive name, exact value).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `type/subtype` without parameters.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.type_, self.subtype)
    }

    /// Whether this is exactly `type_/subtype` (ignoring parameters).
    pub fn is(&self, type_: &str, subtype: &str) -> bool {
        self.type_ == type_ && self.subtype == subtype
    }

    /// Whether this range covers `application/json` (`application/json`, `application/*`, `*/*`).
    fn covers(&self, type_: &str, subtype: &str) -> bool {
        (self.type_ == "*" && self.subtype == "*")
            || (self.type_ == type_ && (self.subtype == "*" || self.subtype == subtype))
    }

    /// The `as`/`g`/`v` conversion request, if any of the three is present.
    fn conversion(&self) -> Option<(Option<&str>, Option<&str>, Option<&str>)> {
        let (a, g, v) = (self.param("as"), self.param("g"), self.param("v"));
        (a.is_some() || g.is_some() || v.is_some()).then_some((a, g, v))
    }
}

/// One entry of an `Accept` header with its quality.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRange {
    /// The media range (`q` removed from its parameters).
    pub media: MediaType,
    /// Quality in 0..=1 (default 1).
    pub q: f32,
}

/// Parses an `Accept` header into ranges, best first. Malformed entries and
/// entries with `q=0` are dropped; equal-quality entries keep their order,
/// except that wildcards sort after concrete types (as k8s' goautoneg does).
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    let mut out: Vec<MediaRange> = split_outside_quotes(header)
        .into_iter()
        .filter(|e| !e.trim().is_empty())
        .filter_map(|entry| {
            let mut media = MediaType::parse(entry).ok()?;
            let mut q = 1.0f32;
            if let Some(pos) = media.params.iter().position(|(k, _)| k == "q") {
                let (_, v) = media.params.remove(pos);
                q = v
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| q.is_finite())?
                    .clamp(0.0, 1.0);
            }
            (q > 0.0).then_some(MediaRange { media, q })
        })
        .collect();
    out.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then((a.media.type_ == "*").cmp(&(b.media.type_ == "*")))
            .then((a.media.subtype == "*").cmp(&(b.media.subtype == "*")))
    });
    out
}

fn split_outside_quotes(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// Reads up to whitespace, `"`, `,` or a caller-given stop byte.
    fn token(&mut self, stop: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if stop(c) || matches!(c, b' ' | b'\t' | b'"' | b',') {
                break;
            }
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    /// Reads a quoted string (cursor on the opening quote), resolving `\` escapes.
    fn quoted(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    out.push(self.peek()?);
                    self.i += 1;
                }
                c => out.push(c),
            }
        }
        None
    }
}

fn ranges(accept: Option<&str>) -> Option<Vec<MediaRange>> {
    match accept.map(str::trim) {
        None | Some("") => None,
        Some(h) => Some(parse_accept(h)),
    }
}

/// Which discovery document to serve for `/api` and `/apis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryFormat {
    /// `APIGroupDiscoveryList` of the given version.
    Aggregated(AggregatedVersion),
    /// `APIVersions` / `APIGroupList`.
    Legacy,
}

impl DiscoveryFormat {
    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Aggregated(v) => v.content_type(),
            Self::Legacy => JSON,
        }
    }
}

/// Negotiates discovery (kube-api.md §4.4); `None` means 406.
pub fn negotiate_discovery(accept: Option<&str>) -> Option<DiscoveryFormat> {
    let Some(ranges) = ranges(accept) else {
        return Some(DiscoveryFormat::Legacy);
    };
    ranges.iter().find_map(|r| {
        if !r.media.covers("application", "json") {
            return None;
        }
        match r.media.conversion() {
            None => Some(DiscoveryFormat::Legacy),
            Some((Some("APIGroupDiscoveryList"), Some("apidiscovery.k8s.io"), Some(v))) => {
                match v {
                    "v2" => Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2)),
                    "v2beta1" => Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2Beta1)),
                    _ => None,
                }
            }
            Some(_) => None,
        }
    })
}

/// How to render an object or list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    /// Plain JSON.
    Json,
    /// YAML.
    Yaml,
    /// A `meta.k8s.io` Table.
    Table(MetaVersion),
    /// `PartialObjectMetadata` (single object, metadata only).
    PartialObjectMetadata(MetaVersion),
    /// `PartialObjectMetadataList` (list, metadata only).
    PartialObjectMetadataList(MetaVersion),
}

impl ObjectFormat {
    /// The response `Content-Type`.
    pub fn content_type(self) -> String {
        let conv = |kind: &str, v: MetaVersion| {
            format!("application/json;as={kind};v={};g=meta.k8s.io", v.version())
        };
        match self {
            Self::Json => JSON.into(),
            Self::Yaml => YAML.into(),
            Self::Table(v) => conv("Table", v),
            Self::PartialObjectMetadata(v) => conv("PartialObjectMetadata", v),
            Self::PartialObjectMetadataList(v) => conv("PartialObjectMetadataList", v),
        }
    }
}

/// Negotiates an object/list/watch response (kube-api.md §7); `None` means 406
/// (e.g. a protobuf-only Accept).
pub fn negotiate_object(accept: Option<&str>) -> Option<ObjectFormat> {
    let Some(ranges) = ranges(accept) else {
        return Some(ObjectFormat::Json);
    };
    ranges.iter().find_map(|r| {
        let m = &r.media;
        if m.covers("application", "json") {
            match m.conversion() {
                None => Some(ObjectFormat::Json),
                Some((Some(kind), Some("meta.k8s.io"), Some(v))) => {
                    let v = match v {
                        "v1" => MetaVersion::V1,
                        "v1beta1" => MetaVersion::V1Beta1,
                        _ => return None,
                    };
                    match kind {
                        "Table" => Some(ObjectFormat::Table(v)),
                        "PartialObjectMetadata" => Some(ObjectFormat::PartialObjectMetadata(v)),
                        "PartialObjectMetadataList" => {
                            Some(ObjectFormat::PartialObjectMetadataList(v))
                        }
                        _ => None,
                    }
                }
                Some(_) => None,
            }
        } else if m.is("application", "yaml") && m.conversion().is_none() {
            Some(ObjectFormat::Yaml)
        } else {
            None
        }
    })
}

/// Whether a plain JSON document (OpenAPI, `/version`) is acceptable:
/// absent Accept, `application/json`, `application/*` or `*/*`.
pub fn accepts_json(accept: Option<&str>) -> bool {
    match ranges(accept) {
        None => true,
        Some(r) => r
            .iter()
            .any(|r| r.media.covers("application", "json") && r.media.conversion().is_none()),
    }
}

/// The four PATCH flavours (kube-api.md §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902 JSON patch.
    Json,
    /// RFC 7386 JSON merge patch.
    Merge,
    /// Strategic merge patch (handled as merge patch without directives).
    StrategicMerge,
    /// Server-side apply (YAML or JSON body).
    Apply,
}

impl PatchType {
    /// The media type that selects this patch type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json-patch+json",
            Self::Merge => "application/merge-patch+json",
            Self::StrategicMerge => "application/strategic-merge-patch+json",
            Self::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Classifies a PATCH `Content-Type`; anything else (also `apply-patch+cbor`) is 415.
pub fn patch_type(content_type: Option<&str>) -> Result<PatchType, MediaError> {
    let raw = content_type.unwrap_or("").trim();
    let unsupported = || MediaError::Unsupported {
        media_type: raw.to_string(),
        accepted: PATCH_MEDIA_TYPES.to_vec(),
    };
    if raw.is_empty() {
        return Err(unsupported());
    }
    let m = MediaType::parse(raw)?;
    if m.type_ != "application" {
        return Err(unsupported());
    }
    match m.subtype.as_str() {
        "json-patch+json" => Ok(PatchType::Json),
        "merge-patch+json" => Ok(PatchType::Merge),
        "strategic-merge-patch+json" => Ok(PatchType::StrategicMerge),
        "apply-patch+yaml" => Ok(PatchType::Apply),
        _ => Err(unsupported()),
    }
}

/// Encoding of a POST/PUT body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json` (also when no Content-Type is sent, as kube-apiserver assumes).
    Json,
    /// `application/yaml`.
    Yaml,
    /// `application/vnd.kubernetes.protobuf` (the `k8s\0` envelope).
    Protobuf,
}

/// Classifies a POST/PUT `Content-Type`; a charset other than UTF-8 or another type is 415.
pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, MediaError> {
    let raw = content_type.unwrap_or("").trim();
    if raw.is_empty() {
        return Ok(BodyFormat::Json);
    }
    let unsupported = || MediaError::Unsupported {
        media_type: raw.to_string(),
        accepted: BODY_MEDIA_TYPES.to_vec(),
    };
    let m = MediaType::parse(raw)?;
    if let Some(cs) = m.param("charset")
        && !cs.eq_ignore_ascii_case("utf-8")
        && !cs.eq_ignore_ascii_case("utf8")
    {
        return Err(unsupported());
    }
    match (m.type_.as_str(), m.subtype.as_str()) {
        ("application", "json") => Ok(BodyFormat::Json),
        ("application", "yaml") => Ok(BodyFormat::Yaml),
        ("application", "vnd.kubernetes.protobuf") => Ok(BodyFormat::Protobuf),
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Accept headers from kube-api.md §3 / §4.4.
    const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    const DISCO_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    const DISCO_V2BETA1: &str = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    const OPENAPI_V3_INDEX: &str = "application/json, */*";
    const OPENAPI_V2_PB: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    const PB_GENERATOR: &str = "application/vnd.kubernetes.protobuf,application/json";

    use AggregatedVersion::*;
    use DiscoveryFormat::*;

    #[test]
    fn parse_media_type_with_params() {
        let m = MediaType::parse(
            " Application/JSON ; g=apidiscovery.k8s.io;  V=v2 ;as=\"APIGroup\\\"DiscoveryList\" ",
        )
        .unwrap();
        assert_eq!(m.essence(), "application/json");
        assert_eq!(m.param("g"), Some("apidiscovery.k8s.io"));
        assert_eq!(m.param("v"), Some("v2"));
        assert_eq!(m.param("as"), Some("APIGroup\"DiscoveryList"));
        assert_eq!(m.param("missing"), None);
        assert!(MediaType::parse("application").is_err());
        assert!(MediaType::parse("application/").is_err());
        assert!(MediaType::parse("/json").is_err());
        assert!(MediaType::parse("application/json;x").is_err());
        assert!(MediaType::parse("application/json;x=\"open").is_err());
        assert!(MediaType::parse("application/json;").is_ok());
        let pb = MediaType::parse(OPENAPI_V2_PB).unwrap();
        assert_eq!(pb.subtype, "com.github.proto-openapi.spec.v2@v1.0+protobuf");
    }

    #[test]
    fn accept_q_values_and_order() {
        let r =
            parse_accept("text/html;q=0.5, application/json;q=0.9 , */*;q=0.1, application/yaml");
        let names: Vec<_> = r.iter().map(|r| r.media.essence()).collect();
        assert_eq!(
            names,
            ["application/yaml", "application/json", "text/html", "*/*"]
        );
        assert_eq!(r[1].q, 0.9);
        assert!(r[1].media.param("q").is_none());
        // q=0 means "not acceptable"; malformed entries are skipped.
        let r = parse_accept(
            "application/json;q=0, garbage, application/yaml;q=x, ,application/vnd.kubernetes.protobuf",
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].media.essence(), PROTOBUF);
        // Wildcards sort after concrete types of equal quality.
        let r = parse_accept("*/*,application/*,application/json");
        let names: Vec<_> = r.iter().map(|r| r.media.essence()).collect();
        assert_eq!(names, ["application/json", "application/*", "*/*"]);
        // Commas inside quoted values do not split entries.
        let r = parse_accept("application/json;x=\"a,b\",application/yaml");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].media.param("x"), Some("a,b"));
    }

    #[test]
    fn discovery_negotiation() {
        assert_eq!(negotiate_discovery(Some(DISCO_V2)), Some(Aggregated(V2)));
        assert_eq!(
            negotiate_discovery(Some(DISCO_V2BETA1)),
            Some(Aggregated(V2Beta1))
        );
        assert_eq!(negotiate_discovery(Some("application/json")), Some(Legacy));
        assert_eq!(negotiate_discovery(Some(OPENAPI_V3_INDEX)), Some(Legacy));
        assert_eq!(negotiate_discovery(Some("*/*")), Some(Legacy));
        assert_eq!(negotiate_discovery(Some("application/*")), Some(Legacy));
        assert_eq!(negotiate_discovery(None), Some(Legacy));
        assert_eq!(negotiate_discovery(Some("")), Some(Legacy));
        assert_eq!(negotiate_discovery(Some(PB_GENERATOR)), Some(Legacy));
        assert_eq!(negotiate_discovery(Some(PROTOBUF)), None);
        assert_eq!(negotiate_discovery(Some(OPENAPI_V2_PB)), None);
        assert_eq!(negotiate_discovery(Some("text/html")), None);
        // Exact parameter matching: neither v2 nor v2beta1 is a prefix match.
        let only_v2beta1 =
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        assert_eq!(
            negotiate_discovery(Some(only_v2beta1)),
            Some(Aggregated(V2Beta1))
        );
        let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
        assert_eq!(negotiate_discovery(Some(v2)), Some(Aggregated(V2)));
        assert_eq!(
            negotiate_discovery(Some(
                "application/json;g=apidiscovery.k8s.io;v=v2beta2;as=APIGroupDiscoveryList"
            )),
            None
        );
        assert_eq!(
            negotiate_discovery(Some(
                "application/json;g=other;v=v2;as=APIGroupDiscoveryList"
            )),
            None
        );
        assert_eq!(negotiate_discovery(Some("application/json;v=v2")), None);
        // Order of parameters and whitespace do not matter.
        assert_eq!(
            negotiate_discovery(Some(
                "application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io"
            )),
            Some(Aggregated(V2))
        );
        // q-values reorder entries.
        assert_eq!(
            negotiate_discovery(Some(
                "application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )),
            Some(Aggregated(V2))
        );
        assert_eq!(
            Aggregated(V2).content_type(),
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        );
        assert_eq!(Legacy.content_type(), "application/json");
    }

    #[test]
    fn object_negotiation() {
        use ObjectFormat::*;
        assert_eq!(negotiate_object(Some(TABLE)), Some(Table(MetaVersion::V1)));
        assert_eq!(
            negotiate_object(Some(
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            )),
            Some(Table(MetaVersion::V1Beta1))
        );
        assert_eq!(negotiate_object(Some("application/json")), Some(Json));
        assert_eq!(negotiate_object(Some(OPENAPI_V3_INDEX)), Some(Json));
        assert_eq!(negotiate_object(Some("*/*")), Some(Json));
        assert_eq!(negotiate_object(Some("application/*")), Some(Json));
        assert_eq!(negotiate_object(None), Some(Json));
        assert_eq!(negotiate_object(Some("  ")), Some(Json));
        assert_eq!(negotiate_object(Some(PB_GENERATOR)), Some(Json));
        assert_eq!(negotiate_object(Some(PROTOBUF)), None);
        assert_eq!(negotiate_object(Some(OPENAPI_V2_PB)), None);
        assert_eq!(negotiate_object(Some("application/yaml")), Some(Yaml));
        assert_eq!(
            negotiate_object(Some("application/json;charset=utf-8")),
            Some(Json)
        );
        assert_eq!(
            negotiate_object(Some(
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
            )),
            Some(PartialObjectMetadata(MetaVersion::V1))
        );
        assert_eq!(
            negotiate_object(Some(
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1"
            )),
            Some(PartialObjectMetadataList(MetaVersion::V1Beta1))
        );
        // Unsupported conversions fall through to the next entry, or fail.
        assert_eq!(
            negotiate_object(Some("application/json;as=Table;v=v2;g=meta.k8s.io")),
            None
        );
        assert_eq!(negotiate_object(Some("application/json;as=Table")), None);
        assert_eq!(
            negotiate_object(Some(
                "application/json;as=Foo;v=v1;g=meta.k8s.io,application/json"
            )),
            Some(Json)
        );
        assert_eq!(
            negotiate_object(Some(
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io"
            )),
            Some(Table(MetaVersion::V1))
        );
        assert_eq!(
            Table(MetaVersion::V1).content_type(),
            "application/json;as=Table;v=v1;g=meta.k8s.io"
        );
        assert_eq!(
            PartialObjectMetadataList(MetaVersion::V1Beta1).content_type(),
            "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
        );
        assert_eq!(Yaml.content_type(), "application/yaml");
    }

    #[test]
    fn openapi_accepts_json() {
        assert!(accepts_json(Some(OPENAPI_V3_INDEX)));
        assert!(accepts_json(Some("application/json")));
        assert!(accepts_json(None));
        assert!(!accepts_json(Some(OPENAPI_V2_PB)));
        assert!(!accepts_json(Some(PROTOBUF)));
    }

    #[test]
    fn patch_types() {
        assert_eq!(
            patch_type(Some("application/merge-patch+json")),
            Ok(PatchType::Merge)
        );
        assert_eq!(
            patch_type(Some("application/json-patch+json")),
            Ok(PatchType::Json)
        );
        assert_eq!(
            patch_type(Some("application/apply-patch+yaml")),
            Ok(PatchType::Apply)
        );
        assert_eq!(
            patch_type(Some("application/strategic-merge-patch+json")),
            Ok(PatchType::StrategicMerge)
        );
        assert_eq!(
            patch_type(Some("application/merge-patch+json; charset=utf-8")),
            Ok(PatchType::Merge)
        );
        let e = patch_type(Some("application/apply-patch+cbor")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
        );
        assert!(matches!(
            patch_type(Some("application/json")),
            Err(MediaError::Unsupported { .. })
        ));
        assert!(matches!(
            patch_type(None),
            Err(MediaError::Unsupported { .. })
        ));
        assert!(matches!(
            patch_type(Some("garbage")),
            Err(MediaError::Invalid { .. })
        ));
        for t in [
            PatchType::Json,
            PatchType::Merge,
            PatchType::StrategicMerge,
            PatchType::Apply,
        ] {
            assert_eq!(patch_type(Some(t.media_type())), Ok(t));
        }
    }

    #[test]
    fn body_formats() {
        assert_eq!(body_format(Some("application/json")), Ok(BodyFormat::Json));
        assert_eq!(
            body_format(Some("application/json; charset=UTF-8")),
            Ok(BodyFormat::Json)
        );
        assert_eq!(body_format(None), Ok(BodyFormat::Json));
        assert_eq!(body_format(Some("application/yaml")), Ok(BodyFormat::Yaml));
        assert_eq!(body_format(Some(PROTOBUF)), Ok(BodyFormat::Protobuf));
        assert!(matches!(
            body_format(Some("application/json;charset=latin1")),
            Err(MediaError::Unsupported { .. })
        ));
        let e = body_format(Some("text/plain")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
        );
    }
}

//! watch: initial state (when asked), retained history after the client's
//! resourceVersion, then live events, each filtered by the watcher's selectors.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::Ctx;
use super::filter::Filter;
use super::output::{self, IncludeObject, Output};
use crate::error::ApiError;
use crate::registry::Strategy;
use crate::storage::cache::{CacheEvent, Cached, EventType};

/// How one watcher renders events.
struct Encoder {
    strategy: Arc<dyn Strategy>,
    output: Output,
    include: IncludeObject,
    sent_columns: bool,
}

impl Encoder {
    fn event(&mut self, kind: &str, obj: &Cached) -> Bytes {
        let object = match self.output {
            Output::Json => {
                let mut line = Vec::with_capacity(obj.json.len() + 32);
                line.extend_from_slice(b"{\"type\":\"");
                line.extend_from_slice(kind.as_bytes());
                line.extend_from_slice(b"\",\"object\":");
                line.extend_from_slice(&obj.json);
                line.extend_from_slice(b"}\n");
                return Bytes::from(line);
            }
            Output::Table(api) => {
                let columns = if self.sent_columns {
                    json!([])
                } else {
                    output::column_definitions(self.strategy.as_ref())
                };
                self.sent_columns = true;
                json!({"kind": "Table", "apiVersion": api, "metadata": {"resourceVersion": obj.rv.to_string()},
                    "columnDefinitions": columns,
                    "rows": [output::table_row(self.strategy.as_ref(), obj, self.include, api)]})
            }
            Output::Metadata(api) => json!({"kind": "PartialObjectMetadata", "apiVersion": api,
                "metadata": obj.value.get("metadata").cloned().unwrap_or(json!({}))}),
        };
        line(&json!({"type": kind, "object": object}))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let def = self.strategy.def();
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            &json!({"type": "BOOKMARK", "object": {"kind": def.kind, "apiVersion": def.group_version(), "metadata": meta}}),
        )
    }
}

fn line(v: &Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

fn error_line(err: &ApiError) -> Bytes {
    line(&json!({"type": "ERROR", "object": err.status()}))
}

/// Per-watcher state: namespace prefix and selectors.
struct Watcher {
    prefix: String,
    filter: Filter,
    encoder: Encoder,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
    last_seq: u64,
    last_rv: u64,
}

impl Watcher {
    /// Deliver one event, translating selector transitions to ADDED/DELETED. Err = client gone.
    async fn deliver(&mut self, ev: &CacheEvent) -> Result<(), ()> {
        if ev.seq <= self.last_seq {
            return Ok(());
        }
        self.last_seq = ev.seq;
        self.last_rv = ev.rv;
        if !ev.object.key.starts_with(&self.prefix) {
            return Ok(());
        }
        let now = self.filter.matches(&ev.object.value);
        let kind = match ev.kind {
            EventType::Added => now.then_some("ADDED"),
            EventType::Deleted => now.then_some("DELETED"),
            EventType::Modified => {
                let before = ev
                    .prev
                    .as_ref()
                    .is_some_and(|p| self.filter.matches(&p.value));
                match (before, now) {
                    (true, true) => Some("MODIFIED"),
                    (false, true) => Some("ADDED"),
                    (true, false) => Some("DELETED"),
                    (false, false) => None,
                }
            }
        };
        match kind {
            Some(k) => {
                let bytes = self.encoder.event(k, &ev.object);
                self.tx.send(Ok(bytes)).await.map_err(|_| ())
            }
            None => Ok(()),
        }
    }

    async fn send(&self, bytes: Bytes) -> Result<(), ()> {
        self.tx.send(Ok(bytes)).await.map_err(|_| ())
    }
}

/// Start a watch and stream it.
pub async fn watch(ctx: &Ctx) -> Result<Response, ApiError> {
    let output = output::negotiate(ctx.accept())?;
    let include = IncludeObject::parse(ctx.query.get("includeObject"))?;
    let filter = Filter::from_query(
        &ctx.query,
        ctx.strategy.clone(),
        ctx.info.namespace.as_deref(),
    )?;
    let timeout = ctx.query.uint("timeoutSeconds")?.map(Duration::from_secs);
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let send_initial = ctx.query.flag("sendInitialEvents");
    let rv_param = ctx.query.get("resourceVersion").filter(|v| !v.is_empty());
    if send_initial && ctx.query.get("resourceVersionMatch") != Some("NotOlderThan") {
        return Err(ApiError::Invalid {
            group: ctx.info.group.clone(),
            kind: ctx.strategy.def().kind.into(),
            name: String::new(),
            causes: vec![crate::error::FieldError::forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )],
        });
    }
    let cache = ctx.state.objects.cache().clone();
    let prefix = ctx
        .strategy
        .def()
        .namespace_prefix(ctx.info.namespace.as_deref());

    // Initial state: for an unset/"0" resourceVersion, or when sendInitialEvents asks for it.
    let explicit_rv = match rv_param {
        Some("0") | None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {v:?}")))?,
        ),
    };
    let initial = send_initial || explicit_rv.is_none();
    let (initial_items, after) = if initial {
        if rv_param != Some("0") {
            ctx.sync().await?;
        }
        if let Some(min) = explicit_rv {
            cache.wait_for(min).await?;
        }
        let (items, rv) = cache.range(&prefix, None);
        (items, rv)
    } else {
        (Vec::new(), explicit_rv.unwrap_or(0))
    };
    let sub = cache.subscribe(after)?;

    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    let mut w = Watcher {
        prefix,
        filter,
        encoder: Encoder {
            strategy: ctx.strategy.clone(),
            output,
            include,
            sent_columns: false,
        },
        tx,
        last_seq: 0,
        last_rv: after,
    };
    let bookmark_every = ctx.state.options.bookmark_interval;
    tokio::spawn(async move {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let run = async {
            for obj in &initial_items {
                if obj.key.starts_with(&w.prefix) && w.filter.matches(&obj.value) {
                    let b = w.encoder.event("ADDED", obj);
                    w.send(b).await?;
                }
            }
            if send_initial && bookmarks {
                let b = w.encoder.bookmark(after, true);
                w.send(b).await?;
            }
            for ev in &sub.backlog {
                w.deliver(ev).await?;
            }
            let mut live = sub.live;
            let mut tick = tokio::time::interval(bookmark_every);
            tick.tick().await;
            loop {
                tokio::select! {
                    r = live.recv() => match r {
                        Ok(ev) => {
                            if ev.epoch != sub.epoch {
                                let err = ApiError::Expired("the watch cache was reset; please relist".into());
                                let _ = w.send(error_line(&err)).await;
                                return Err(());
                            }
                            w.deliver(&ev).await?;
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => match cache.since_seq(w.last_seq, sub.epoch) {
                            Some(evs) => for ev in evs { w.deliver(&ev).await?; },
                            None => {
                                let err = ApiError::Expired(format!("too old resource version: {} ({})", w.last_rv, cache.oldest()));
                                let _ = w.send(error_line(&err)).await;
                                return Err(());
                            }
                        },
                        Err(broadcast::error::RecvError::Closed) => return Err(()),
                    },
                    _ = tick.tick(), if bookmarks => {
                        let rv = cache.revision().max(w.last_rv);
                        let b = w.encoder.bookmark(rv, false);
                        w.send(b).await?;
                    }
                    _ = w.tx.closed() => return Err(()),
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), ()>(())
        };
        match deadline {
            Some(d) => {
                let _ = tokio::time::timeout_at(d, run).await;
            }
            None => {
                let _ = run.await;
            }
        }
    });

    let mut resp = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    *resp.status_mut() = StatusCode::OK;
    let ct = match output {
        Output::Json => "application/json",
        Output::Table(_) => "application/json;as=Table;v=v1;g=meta.k8s.io",
        Output::Metadata(_) => "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(resp)
}

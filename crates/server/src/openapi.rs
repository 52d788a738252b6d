//! The hand-written OpenAPI 3.1 document served at `GET /openapi.json`.

use axum::Json;
use serde_json::{Value, json};

/// Every route: (method, path, summary, security, success status). Tests check the router and
/// this list agree.
pub const ROUTES: &[(&str, &str, &str, &str, &str)] = &[
    ("get", "/healthz", "Liveness", "none", "200"),
    (
        "get",
        "/metrics",
        "Prometheus metrics: requests by method (known methods, others as `other`), route template and status; events; bundle revision. Admin key unless the server runs with --public-metrics",
        "admin",
        "200",
    ),
    ("get", "/openapi.json", "This document", "none", "200"),
    (
        "get",
        "/v1/keys/signing",
        "The Ed25519 public key bundles and snapshots are signed with",
        "none",
        "200",
    ),
    (
        "get",
        "/v1/keys",
        "List API keys (id, kind, name, prefix, createdAt, revokedAt), never their values",
        "admin",
        "200",
    ),
    (
        "delete",
        "/v1/keys/{id}",
        "Revoke an API key by id (or value, or prefix of 5+ characters): at once on this server, within the key cache TTL on others",
        "admin",
        "200",
    ),
    (
        "post",
        "/v1/bundles",
        "Validate and publish a bundle (422 with problems; the current bundle stays)",
        "admin",
        "201",
    ),
    (
        "get",
        "/v1/bundles",
        "List bundle revisions",
        "admin",
        "200",
    ),
    (
        "post",
        "/v1/bundles/{revision}/rollback",
        "Republish an old revision as a new revision",
        "admin",
        "201",
    ),
    (
        "get",
        "/v1/bundle",
        "The current bundle, signed (Waymark-Signature), with ETag / If-None-Match",
        "client",
        "200",
    ),
    (
        "get",
        "/v1/bundle/compiled",
        "The current bundle compiled for runtimes without the compiler (the browser SDK), signed, with ETag",
        "client",
        "200",
    ),
    (
        "put",
        "/v1/profiles/{id}",
        "Create or replace a profile",
        "admin",
        "200",
    ),
    (
        "patch",
        "/v1/profiles/{id}",
        "JSON merge patch of a profile",
        "admin",
        "200",
    ),
    ("get", "/v1/profiles/{id}", "Read a profile", "admin", "200"),
    (
        "delete",
        "/v1/profiles/{id}",
        "Erase a profile, its counters, its events and its merge records",
        "admin",
        "204",
    ),
    (
        "get",
        "/v1/profiles/{id}/snapshot",
        "The signed snapshot runtimes decide with (admin key; or client key + visitor token for this profile; or client key and an anon- id)",
        "snapshot",
        "200",
    ),
    (
        "post",
        "/v1/profiles/{id}/merge",
        "Identity stitching: merge the profile `from` (the anonymous id used before sign-in) into `{id}`, once, in one transaction: its events are re-attributed (an event id `{id}` already has is kept once), counted into `{id}`'s counters, its profile document fills `{id}`'s gaps; later events for `from` are stored for `{id}`. Answers {from, into, mergedAt, events, duplicates, erased}, the same when the pair is merged again. Admin key: any ids; client key + visitor token for `{id}`: only an anonymous `from`. 409: into itself, `from` already merged into another profile, or `{id}` merged away",
        "merge",
        "200",
    ),
    (
        "post",
        "/v1/events",
        "Ingest up to 1000 events, idempotent by (profileId, id); the body is read as JSON whatever its Content-Type (sendBeacon sends text/plain), and a client key may come in `?key=` instead of a header. With a client key, an event for a profile that is not anonymous (`anon-` + 22 URL-safe characters) is refused (in `rejected`) unless a valid visitor token for it is in `tokens` or in `Authorization: Bearer wmt.…`. 429 with Retry-After when the key or a profile is over its rate. When the events stored reach a global cap of the live bundle, the bundle is republished with the item in `exhausted` before the answer",
        "client",
        "200",
    ),
    (
        "get",
        "/v1/zones/{name}",
        "The POSIX TZ rule the engine uses for an IANA time zone (`name` percent-encoded: `Europe%2FParis`), as {timeZone, rule}: for runtimes that carry no zone table. Public, Cache-Control public max-age=86400, ETag / If-None-Match, signed (`waymark-zone-v1`); 404 for a zone the engine does not know",
        "none",
        "200",
    ),
    (
        "get",
        "/v1/reports",
        "Per-day report by activity, variant, offer and placement (days in `timeZone`), each live experiment's results (units, conversions, rate, lift against the baseline with a 95 % interval, the sample-ratio-mismatch check) and the bandit statistics",
        "viewer",
        "200",
    ),
    (
        "post",
        "/v1/bandits/recompute",
        "Recompute the Thompson-sampling weights now (also every --bandit-interval seconds) and republish the live bundle with them, signed, as a new revision when they change an experiment's split materially: {bandits, published: revision or null}",
        "admin",
        "200",
    ),
    (
        "post",
        "/v1/decide",
        "Preview a decision with the live bundle or a draft (`draft`) for a stored profile (a test profile brings its sample context) or an inline test profile, with reasons. Editor or admin key",
        "editor",
        "200",
    ),
    (
        "get",
        "/v1/drafts",
        "List drafts (name, bundle id, hash, updatedAt, updatedBy). Viewer, editor or admin key",
        "viewer",
        "200",
    ),
    (
        "put",
        "/v1/drafts/{name}",
        "Validate and store a named draft bundle exactly as a publication is validated (422 with problems: [{pointer, message}]; the stored draft stays); 201 new, 200 replaced. Editor or admin key",
        "editor",
        "201",
    ),
    (
        "get",
        "/v1/drafts/{name}",
        "A draft's bytes as stored. Viewer, editor or admin key",
        "viewer",
        "200",
    ),
    (
        "delete",
        "/v1/drafts/{name}",
        "Delete a draft (204; 404 when none). Editor or admin key",
        "editor",
        "204",
    ),
    (
        "get",
        "/v1/drafts/{name}/diff",
        "The draft against the live bundle: activities, offers, placements and policies added, removed and changed (the JSON pointers of the changed fields), other top-level fields. Viewer, editor or admin key",
        "viewer",
        "200",
    ),
    (
        "post",
        "/v1/drafts/{name}/publish",
        "Publish the draft now as a new signed revision (201), or with {\"at\": RFC 3339} schedule it (202)",
        "admin",
        "201",
    ),
    (
        "get",
        "/v1/schedules",
        "Scheduled publications, newest first (pending, published, failed, cancelled). Viewer, editor or admin key",
        "viewer",
        "200",
    ),
    (
        "delete",
        "/v1/schedules/{id}",
        "Cancel a pending scheduled publication (409 once fired or cancelled)",
        "admin",
        "200",
    ),
    (
        "post",
        "/v1/activities/{id}/pause",
        "Pause an activity: the live bundle is republished as a new signed revision with the id in `paused`",
        "admin",
        "201",
    ),
    (
        "post",
        "/v1/activities/{id}/resume",
        "Resume a paused activity: a new signed revision without it in `paused`",
        "admin",
        "201",
    ),
    (
        "post",
        "/v1/offers/{id}/pause",
        "Pause an offer: the live bundle is republished as a new signed revision with the id in `paused`",
        "admin",
        "201",
    ),
    (
        "post",
        "/v1/offers/{id}/resume",
        "Resume a paused offer: a new signed revision without it in `paused`",
        "admin",
        "201",
    ),
    (
        "get",
        "/v1/audit",
        "The audit log, newest first: who (key name, or `system` for the server) did what (publish, rollback, draft writes, schedules, pause, resume, exhaust, key revocations) and when",
        "admin",
        "200",
    ),
    (
        "get",
        "/v1/caps",
        "The live bundle's global caps (`\"scope\": \"global\"`) with everyone's counts: {revision, caps: [{item, cap, event, max, count, exhausted}]}. A cap reached republishes the bundle with the item in `exhausted`",
        "viewer",
        "200",
    ),
];

fn parameters(path: &str, method: &str) -> Value {
    let mut params = Vec::new();
    if path.contains("{id}") {
        params.push(
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}),
        );
    }
    if path.contains("{name}") {
        if path.starts_with("/v1/zones/") {
            params.push(json!({"name": "name", "in": "path", "required": true, "description": "an IANA zone, as one path segment", "schema": {"type": "string"}, "examples": ["Europe%2FParis"]}));
        } else {
            params.push(
                json!({"name": "name", "in": "path", "required": true, "description": "1 to 100 letters, digits, `.`, `_` or `-`", "schema": {"type": "string"}}),
            );
        }
    }
    if path == "/v1/audit" {
        params.push(json!({"name": "limit", "in": "query", "description": "Entries, 1 to 1000 (default 100)", "schema": {"type": "integer"}}));
    }
    if path.contains("{revision}") {
        params.push(json!({"name": "revision", "in": "path", "required": true, "schema": {"type": "integer"}}));
    }
    if path == "/v1/reports" {
        for (name, description) in [
            (
                "from",
                "First day, YYYY-MM-DD (default: 29 days before `to`)",
            ),
            ("to", "Last day, YYYY-MM-DD (default: today in `timeZone`)"),
            (
                "timeZone",
                "The IANA time zone days are counted in (default `UTC`)",
            ),
            (
                "conversion",
                "Custom event name counted as a conversion (default `purchase`)",
            ),
        ] {
            params.push(json!({"name": name, "in": "query", "description": description, "schema": {"type": "string"}}));
        }
    }
    if path == "/v1/events" {
        params.push(json!({"name": "key", "in": "query", "description": "A client key, for senders that cannot set headers (navigator.sendBeacon); admin keys are refused here", "schema": {"type": "string"}}));
    }
    if method == "get"
        && (path == "/v1/bundle" || path == "/v1/bundle/compiled" || path.ends_with("/snapshot"))
    {
        params.push(json!({"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}));
    }
    Value::Array(params)
}

fn security(kind: &str) -> Value {
    match kind {
        "admin" | "editor" | "viewer" => json!([{"key": []}]),
        "client" => json!([{"key": []}]),
        "snapshot" | "merge" => json!([{"key": []}, {"key": [], "visitorToken": []}]),
        _ => json!([]),
    }
}

fn request_body(method: &str, path: &str) -> Option<Value> {
    let schema = match (method, path) {
        ("post", "/v1/bundles") | ("put", "/v1/drafts/{name}") => {
            json!({"$ref": "#/components/schemas/Bundle"})
        }
        ("post", "/v1/drafts/{name}/publish") => json!({
            "type": "object",
            "properties": {"at": {"type": "string", "format": "date-time", "description": "Publish then (RFC 3339, in the future) instead of now"}}
        }),
        ("put" | "patch", "/v1/profiles/{id}") => json!({"$ref": "#/components/schemas/Profile"}),
        ("post", "/v1/decide") => json!({
            "type": "object",
            "required": ["surfaces"],
            "properties": {
                "draft": {"type": "string", "description": "Decide with this draft instead of the live bundle"},
                "profileId": {"type": "string", "description": "A stored profile, seen through its snapshot; a test profile's sample context is used when `context` is absent"},
                "profile": {"type": "object", "description": "An inline test profile in snapshot form"},
                "context": {"type": "object"},
                "state": {"type": "object"},
                "now": {"type": "integer", "description": "Unix ms (default: the server's clock)"},
                "surfaces": {"type": "array", "items": {"type": "string"}},
                "event": {"type": "object"}
            }
        }),
        ("post", "/v1/profiles/{id}/merge") => json!({
            "type": "object", "required": ["from"], "additionalProperties": false,
            "properties": {"from": {"type": "string", "description": "The id merged away; with a client key, an anonymous id (`anon-` + 22 URL-safe characters)"}}
        }),
        ("post", "/v1/events") => json!({
            "type": "object", "required": ["events"],
            "properties": {
                "events": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Event"}},
                "tokens": {"type": "array", "maxItems": 16, "items": {"type": "string"}, "description": "Visitor tokens (wmt.…): with a client key, events for their profiles are accepted"}
            }
        }),
        _ => return None,
    };
    let media = if method == "patch" {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    let required = path != "/v1/drafts/{name}/publish";
    Some(json!({"required": required, "content": {media: {"schema": schema}}}))
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for &(method, path, summary, auth, status) in ROUTES {
        let mut operation = json!({
            "summary": summary,
            "parameters": parameters(path, method),
            "security": security(auth),
            "responses": {
                status: {"description": "Success"},
                "default": {"description": "A problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            }
        });
        if matches!(auth, "admin" | "editor" | "viewer") {
            // The least role of a management key that may call it.
            operation["x-waymark-role"] = json!(auth);
        }
        if let Some(body) = request_body(method, path) {
            operation["requestBody"] = body;
        }
        if matches!(
            path,
            "/v1/bundle" | "/v1/profiles/{id}/snapshot" | "/v1/zones/{name}"
        ) {
            operation["responses"]["304"] = json!({"description": "Not modified (If-None-Match)"});
        }
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Waymark central API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Bundles, profiles, snapshots, events and reports. API keys go in `X-Waymark-Key` (or `Authorization: Bearer` when no visitor token is sent); visitor tokens go in `Authorization: Bearer wmt.…`. Bundles, compiled bundles, snapshots and zone rules carry `Waymark-Signature: ed25519=<base64>` over a type label (`waymark-bundle-v1`, `waymark-compiled-v1`, `waymark-snapshot-v1`, `waymark-zone-v1`), a newline and the exact body bytes, verifiable with GET /v1/keys/signing."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-Waymark-Key"},
                "visitorToken": {"type": "http", "scheme": "bearer", "bearerFormat": "wmt.<payload>.<hmac>"}
            },
            "schemas": {
                "Problem": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "problems": {"type": "array", "items": {"type": "object"}}
                }},
                "Bundle": {"type": "object", "description": "See `waymark schema` for the full JSON Schema.", "required": ["format", "id"]},
                "Profile": {"type": "object", "properties": {
                    "attributes": {"type": "object"},
                    "identities": {"type": "object", "additionalProperties": {"type": "string"}},
                    "audiences": {"type": "array", "items": {"type": "string"}},
                    "consent": {"type": "object", "additionalProperties": {"enum": ["in", "out", "pending"]}},
                    "timeZone": {"type": "string", "examples": ["Europe/Paris"]},
                    "test": {"type": "boolean", "description": "A test profile: its events never reach reports or bandit statistics"},
                    "context": {"type": "object", "description": "A test profile's sample request context, used by POST /v1/decide when the request has none"}
                }},
                "Event": {"type": "object", "required": ["id", "type", "profileId", "timestamp"], "properties": {
                    "id": {"type": "string"},
                    "type": {"enum": ["display", "click", "dismiss", "custom"]},
                    "name": {"type": "string", "description": "The custom event's name (custom only)"},
                    "profileId": {"type": "string"},
                    "timestamp": {"type": "integer", "description": "Milliseconds since 1970"},
                    "activityId": {"type": "string"}, "variantId": {"type": "string"},
                    "offerId": {"type": "string"}, "placementId": {"type": "string"},
                    "decisionId": {"type": "string"}, "data": {"type": "object"}
                }}
            }
        }
    })
}

/// `GET /openapi.json`
pub async fn openapi() -> Json<Value> {
    Json(document())
}

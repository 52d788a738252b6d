//! Identity stitching: `POST /v1/profiles/{id}/merge` `{"from": "<id>"}` merges the profile
//! `from` (typically the anonymous id a browser used before signing in) into the profile `{id}`
//! (the known one), once and in one transaction.
//!
//! What moves:
//! - **Events**: `from`'s events are re-attributed to `{id}` (history, conversions in reports
//!   and per-profile caps follow). Events are idempotent by (profile, event id): an event whose
//!   id `{id}` already has is the same event, kept once (counted as a duplicate). Events keep
//!   the `test` mark they were stored with. The per-day aggregates (`daily`) and global counts
//!   have no profile in them, so they are not touched and nothing is counted twice.
//! - **Counters**: the moved events are counted into `{id}`'s counters (by activity or offer,
//!   event and day in `{id}`'s time zone, exactly as ingestion counts them), under a new
//!   version; `from`'s counters are deleted. Duplicates are not counted again.
//! - **The profile document**, when `from` has one (anonymous ids usually have none): `{id}`'s
//!   values win and `from`'s fill the gaps (attributes and identities by key, consent by
//!   purpose, the time zone); audiences are the union; `test` and `context` stay `{id}`'s.
//!   When `{id}` has no document, `from`'s becomes its. `from`'s document is deleted.
//! - **Experiment assignments** are not stored by the API: sticky assignments live in the host's
//!   state (the browser SDK's storage), which signing in does not reset, so the assignment made
//!   anonymously on that device is kept. On the server the display events carry their variant,
//!   and they move with the events.
//!
//! If `{id}`'s `track` consent is `out`, `from`'s events and counters are erased instead of
//! moved (ingestion would refuse them for `{id}`).
//!
//! After the merge `from` has no rows: its snapshot is that of a new anonymous visitor (it
//! never resolves to `{id}`'s, which needs `{id}`'s visitor token). Events posted later for
//! `from` (a beacon sent before sign-in that arrives late) are stored for `{id}`: ingestion
//! resolves ids through the `merges` table. Erasing `{id}` erases its merge records too.
//!
//! Each merge is recorded (`merges`: `from` → `{id}`, when, what moved): merging the same pair
//! again changes nothing and answers the same. Refused with 409: merging a profile into itself,
//! merging an id already merged into another profile, and merging into an id that was itself
//! merged away (so no loop can form). An id that others were merged into may be merged: their
//! records are re-pointed to the new target, so resolution is always one step.
//!
//! Who may merge:
//! - an **admin** key (role `admin`): any id into any id;
//! - a **client** key with a valid visitor token for `{id}` (`Authorization: Bearer wmt.…`):
//!   only an anonymous `from` (`anon-` and 22+ URL-safe characters). The token proves the
//!   site's backend signed this browser in as `{id}`; the anonymous id is its own credential,
//!   as for snapshots and events (whoever holds it may already read its snapshot and post its
//!   events). A known profile can never be merged by a client key, so a token for one profile
//!   cannot pull in another known profile's history;
//! - editor and viewer keys may not (403).
//!
//! Every merge that changes something is audit-logged (`merge`, target `profile/{id}`, the key's
//! name); a repeated merge is not logged again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::access::Keyed;
use crate::audit::{Action, Actor};
use crate::auth::{self, Identity, KeyKind, Role};
use crate::error::{AppError, JsonBody};
use crate::profiles::{self, Consent, ProfileDoc};
use crate::state::AppState;

/// The body of `POST /v1/profiles/{id}/merge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The id merged away (the anonymous one).
    pub from: String,
}

/// What a merge did (the answer, the same every time the pair is merged again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub from: String,
    pub into: String,
    /// Unix ms.
    pub merged_at: i64,
    /// Events re-attributed to `into`.
    pub events: i64,
    /// Events `into` already had (same id): kept once.
    pub duplicates: i64,
    /// Events erased because `into` opted out of tracking.
    pub erased: i64,
}

impl Merged {
    pub fn to_json(&self) -> Value {
        json!({
            "from": self.from,
            "into": self.into,
            "mergedAt": self.merged_at,
            "events": self.events,
            "duplicates": self.duplicates,
            "erased": self.erased,
        })
    }
}

/// The id `id` resolves to for new events: the profile it was merged into, if any.
pub fn resolve(conn: &Connection, id: &str) -> Result<Option<String>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT into_id FROM merges WHERE from_id = ?1")?;
    Ok(stmt.query_row([id], |row| row.get(0)).optional()?)
}

fn recorded(conn: &Connection, from: &str) -> Result<Option<Merged>, AppError> {
    Ok(conn
        .query_row(
            "SELECT into_id, at, events, duplicates, erased FROM merges WHERE from_id = ?1",
            [from],
            |row| {
                Ok(Merged {
                    from: from.to_owned(),
                    into: row.get(0)?,
                    merged_at: row.get(1)?,
                    events: row.get(2)?,
                    duplicates: row.get(3)?,
                    erased: row.get(4)?,
                })
            },
        )
        .optional()?)
}

/// `into`'s document with `from`'s filling its gaps (see the module docs).
fn merge_docs(into: Option<ProfileDoc>, from: ProfileDoc) -> ProfileDoc {
    let Some(mut doc) = into else {
        return from;
    };
    fill(&mut doc.attributes, from.attributes);
    fill(&mut doc.identities, from.identities);
    for (purpose, state) in from.consent {
        doc.consent.entry(purpose).or_insert(state);
    }
    for audience in from.audiences {
        if !doc.audiences.contains(&audience) {
            doc.audiences.push(audience);
        }
    }
    if doc.time_zone.is_none() {
        doc.time_zone = from.time_zone;
    }
    doc
}

fn fill(target: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        target.entry(key).or_insert(value);
    }
}

/// An event being moved: type, custom name, timestamp, activity, offer.
/// A moved event: type, custom name, timestamp, activity, offer, variant.
type Moving = (
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Merges `from` into `into` in one transaction (see the module docs); `at` is recorded as the
/// merge's time, and `actor` in the audit log.
pub fn merge(
    conn: &mut Connection,
    from: &str,
    into: &str,
    at: i64,
    actor: Actor,
) -> Result<Merged, AppError> {
    if from == into {
        return Err(AppError::Conflict(format!(
            "profile `{into}` cannot be merged into itself"
        )));
    }
    let tx = conn.transaction()?;
    if let Some(done) = recorded(&tx, from)? {
        if done.into == into {
            return Ok(done);
        }
        return Err(AppError::Conflict(format!(
            "profile `{from}` was already merged into another profile; an id is merged once"
        )));
    }
    if resolve(&tx, into)?.is_some() {
        return Err(AppError::Conflict(format!(
            "profile `{into}` was itself merged into another profile: merge into that one"
        )));
    }
    let into_doc = profiles::load(&tx, into)?.map(|(doc, _, _)| doc);
    let from_doc = profiles::load(&tx, from)?.map(|(doc, _, _)| doc);
    let doc = from_doc.map(|from_doc| merge_docs(into_doc.clone(), from_doc));
    let effective = doc.as_ref().or(into_doc.as_ref());
    let opted_out = effective.is_some_and(|d| d.consent.get("track") == Some(&Consent::Out));
    let tz = effective.map_or(jiff::tz::TimeZone::UTC, ProfileDoc::tz);
    let version = crate::db::next_seq(&tx)?;

    // The events `into` does not have yet, counted as ingestion counts them.
    let moving: Vec<Moving> = {
        let mut stmt = tx.prepare(
            "SELECT a.type, a.name, a.ts, a.activity_id, a.offer_id, a.variant_id FROM events a
             WHERE a.profile_id = ?1
               AND NOT EXISTS (SELECT 1 FROM events k WHERE k.profile_id = ?2 AND k.id = a.id)",
        )?;
        let rows = stmt.query_map(params![from, into], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let total: i64 = tx.query_row(
        "SELECT COUNT(*) FROM events WHERE profile_id = ?1",
        [from],
        |row| row.get(0),
    )?;
    let moved = i64::try_from(moving.len()).unwrap_or(i64::MAX);
    let (events, duplicates, erased) = if opted_out {
        (0, 0, total)
    } else {
        (moved, total - moved, 0)
    };
    if !opted_out && !moving.is_empty() {
        let mut counters: std::collections::BTreeMap<(String, String, String), [i64; 2]> =
            Default::default();
        for (kind, name, ts, activity, offer, variant) in &moving {
            let day = jiff::Timestamp::from_millisecond(*ts)
                .map(|t| tz.to_datetime(t).date().to_string())
                .unwrap_or_default();
            let event = name.clone().unwrap_or_else(|| kind.clone());
            // As ingestion counts.
            let targets = crate::ingest::counted_targets(
                activity.as_deref(),
                offer.as_deref(),
                variant.as_deref(),
            );
            for target in targets {
                let entry = counters
                    .entry((target.to_owned(), event.clone(), day.clone()))
                    .or_insert([0, *ts]);
                entry[0] += 1;
                entry[1] = entry[1].max(*ts);
            }
        }
        let mut upsert = tx.prepare_cached(
            "INSERT INTO counters (profile_id, target, event, day, n, version, last_ts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET n = n + excluded.n, version = excluded.version,
               last_ts = MAX(last_ts, excluded.last_ts)",
        )?;
        for ((target, event, day), [n, last]) in &counters {
            upsert.execute(params![into, target, event, day, n, version, last])?;
        }
        tx.execute(
            "UPDATE OR IGNORE events SET profile_id = ?2 WHERE profile_id = ?1",
            params![from, into],
        )?;
    }
    tx.execute("DELETE FROM events WHERE profile_id = ?1", [from])?;
    tx.execute("DELETE FROM counters WHERE profile_id = ?1", [from])?;
    if let Some(doc) = &doc {
        let mut stmt = tx.prepare_cached(profiles::UPSERT)?;
        profiles::upsert(&mut stmt, into, doc, version, crate::db::now_ms())?;
        tx.execute("DELETE FROM profiles WHERE id = ?1", [from])?;
    }
    tx.execute(
        "UPDATE merges SET into_id = ?2 WHERE into_id = ?1",
        params![from, into],
    )?;
    let merged = Merged {
        from: from.to_owned(),
        into: into.to_owned(),
        merged_at: at,
        events,
        duplicates,
        erased,
    };
    tx.execute(
        "INSERT INTO merges (from_id, into_id, at, events, duplicates, erased)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![from, into, at, events, duplicates, erased],
    )?;
    let action = Action::new(actor, at, "merge", format!("profile/{into}")).with(json!({
        "from": from,
        "events": events,
        "duplicates": duplicates,
        "erased": erased,
    }));
    crate::audit::record(&tx, &action)?;
    tx.commit()?;
    Ok(merged)
}

/// Whether `who` may merge `from` into `into` (see the module docs): 401 without a valid visitor
/// token where one is needed, 403 otherwise.
fn authorize(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    from: &str,
    into: &str,
) -> Result<(), AppError> {
    if who.has(Role::Admin) {
        return Ok(());
    }
    if who.kind == KeyKind::Admin {
        return Err(AppError::Forbidden(
            "editor and viewer keys do not merge profiles; use an admin key, or a client key with the profile's visitor token".into(),
        ));
    }
    let token = auth::credentials(headers).token.ok_or_else(|| {
        AppError::Unauthorized(
            "a client key merges into a profile only with a visitor token for it (`Authorization: Bearer wmt.…`)".into(),
        )
    })?;
    let now = jiff::Timestamp::now().as_second();
    let subject = auth::verify_token(state.token_secret(), token, now)?;
    if subject != into {
        return Err(AppError::Forbidden(
            "the visitor token is for another profile".into(),
        ));
    }
    if !auth::is_anonymous(from) {
        return Err(AppError::Forbidden(format!(
            "a client key merges only anonymous ids (`anon-` and 22+ URL-safe characters), not `{from}`"
        )));
    }
    Ok(())
}

/// `POST /v1/profiles/{id}/merge` `{"from": "<id>"}`: merges `from` into `{id}`.
pub async fn post(
    State(state): State<AppState>,
    Keyed(who): Keyed,
    headers: HeaderMap,
    Path(into): Path<String>,
    JsonBody(body): JsonBody<MergeRequest>,
) -> Result<Json<Value>, AppError> {
    profiles::check_id(&into)
        .map_err(|e| AppError::BadRequest(format!("profile id in the path: {e}")))?;
    profiles::check_id(&body.from).map_err(|e| AppError::invalid(format!("`from`: {e}")))?;
    authorize(&state, &who, &headers, &body.from, &into)?;
    let at = state.config.clock.now_ms();
    let (from, target) = (body.from.clone(), into.clone());
    let actor = Actor::from(&who);
    let merged = state
        .db
        .write(move |conn| merge(conn, &from, &target, at, actor))
        .await?;
    state
        .snapshots
        .invalidate_many([body.from.as_str(), into.as_str()]);
    tracing::info!(
        from = %auth::log_label(&body.from),
        into = %auth::log_label(&into),
        events = merged.events,
        "profiles merged"
    );
    Ok(Json(merged.to_json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_profile_wins_and_the_anonymous_one_fills_the_gaps() {
        let known = ProfileDoc::from_value(json!({
            "attributes": {"tier": "gold"}, "audiences": ["a"],
            "consent": {"track": "in"}
        }))
        .unwrap();
        let anonymous = ProfileDoc::from_value(json!({
            "attributes": {"tier": "none", "lastCategory": "shoes"}, "audiences": ["a", "b"],
            "consent": {"track": "out", "personalize": "in"}, "timeZone": "Europe/Paris"
        }))
        .unwrap();
        let doc = merge_docs(Some(known), anonymous);
        assert_eq!(
            serde_json::to_value(&doc).unwrap(),
            json!({
                "attributes": {"tier": "gold", "lastCategory": "shoes"},
                "identities": {}, "audiences": ["a", "b"],
                "consent": {"personalize": "in", "track": "in"}, "timeZone": "Europe/Paris"
            })
        );
    }
}

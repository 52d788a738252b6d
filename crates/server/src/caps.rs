//! Global caps: caps with `"scope": "global"` count everyone's events, so the API counts them
//! and publishes the bundle's `exhausted` list itself.
//!
//! Ingestion adds every new event (not a duplicate, not refused, not a test profile's) to
//! `global_counts`, one row per target (the event's activity and offer) and counted event, in
//! the transaction that stores the event: a retried event is a duplicate and never counts
//! twice. After a request's events are stored, the handler compares the new totals with the
//! live bundle's global caps; when a cap is reached and its item is not yet on the live
//! `exhausted` list, it republishes the live bundle as a new signed revision with the item
//! there (audit: `exhaust`, by `system`) before it answers. Every bundle the API stores gets the
//! reached items written into `exhausted` too, so a later publication, pause or rollback keeps
//! them; ids the author lists there are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Json;
use axum::extract::State;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use waymark_core::bundle::{Bundle, Cap, CapScope};

use crate::access::Viewer;
use crate::audit::{Action, Actor};
use crate::bundles::{self, Published};
use crate::error::AppError;
use crate::state::AppState;

/// New totals of `global_counts` rows, by (target, event).
pub type Totals = BTreeMap<(String, String), i64>;

/// Adds `added` (by target and event) to `global_counts`; returns the new totals.
pub fn add(tx: &Connection, added: &HashMap<(&str, &str), i64>) -> Result<Totals, AppError> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO global_counts (target, event, n) VALUES (?1, ?2, ?3)
         ON CONFLICT DO UPDATE SET n = n + excluded.n RETURNING n",
    )?;
    let mut totals = Totals::new();
    for ((target, event), n) in added {
        let total: i64 = upsert.query_row(params![target, event, n], |row| row.get(0))?;
        totals.insert(((*target).to_owned(), (*event).to_owned()), total);
    }
    Ok(totals)
}

/// Everyone's `event`s counted for `target` so far.
pub fn count(conn: &Connection, target: &str, event: &str) -> Result<i64, AppError> {
    Ok(conn
        .query_row(
            "SELECT n FROM global_counts WHERE target = ?1 AND event = ?2",
            params![target, event],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// One global cap of a bundle's activity or offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalCap {
    /// `activity` or `offer`.
    pub kind: &'static str,
    pub id: String,
    /// Its index in the item's `caps`.
    pub index: usize,
    pub event: String,
    pub max: u64,
}

impl GlobalCap {
    /// `activity/ID` or `offer/ID`, as the audit log names items.
    pub fn item(&self) -> String {
        format!("{}/{}", self.kind, self.id)
    }
}

/// The global caps of a bundle.
pub fn global_caps(bundle: &Bundle) -> Vec<GlobalCap> {
    let items = bundle
        .activities
        .iter()
        .map(|a| ("activity", &a.id, &a.caps))
        .chain(bundle.offers.iter().map(|o| ("offer", &o.id, &o.caps)));
    let mut caps = Vec::new();
    for (kind, id, item_caps) in items {
        for (index, cap) in item_caps.iter().enumerate() {
            if cap.scope == CapScope::Global {
                caps.push(global(kind, id, index, cap));
            }
        }
    }
    caps
}

fn global(kind: &'static str, id: &str, index: usize, cap: &Cap) -> GlobalCap {
    GlobalCap {
        kind,
        id: id.to_owned(),
        index,
        event: cap.event.name().to_owned(),
        max: u64::from(cap.max),
    }
}

/// The global caps of `bundle` that the counts have reached, with their counts.
pub fn reached(conn: &Connection, bundle: &Bundle) -> Result<Vec<(GlobalCap, i64)>, AppError> {
    let mut out = Vec::new();
    for cap in global_caps(bundle) {
        let n = count(conn, &cap.id, &cap.event)?;
        if u64::try_from(n).unwrap_or(0) >= cap.max {
            out.push((cap, n));
        }
    }
    Ok(out)
}

/// Writes into the `exhausted` list of `value` (a validated bundle) the items whose global caps
/// are reached, keeping the ids already listed; the list is left as it is when none is.
pub fn apply_exhausted(conn: &Connection, value: &mut Value) -> Result<(), AppError> {
    let bundle: Bundle = serde_json::from_value(value.clone())?;
    let reached = reached(conn, &bundle)?;
    if reached.is_empty() {
        return Ok(());
    }
    let mut ids: BTreeSet<String> = bundle.exhausted.iter().cloned().collect();
    ids.extend(reached.into_iter().map(|(cap, _)| cap.id));
    let object = value
        .as_object_mut()
        .ok_or_else(|| AppError::internal("a validated bundle is a JSON object"))?;
    object.insert("exhausted".into(), json!(ids));
    Ok(())
}

/// Whether `totals` (what an ingestion just counted) reach a global cap of `bundle` whose item
/// is not on its `exhausted` list yet. No database access: the check every request makes.
pub fn newly_reached(bundle: &Bundle, totals: &Totals) -> bool {
    if totals.is_empty() {
        return false;
    }
    global_caps(bundle).into_iter().any(|cap| {
        !bundle.exhausted.contains(&cap.id)
            && totals
                .get(&(cap.id.clone(), cap.event.clone()))
                .is_some_and(|n| u64::try_from(*n).unwrap_or(0) >= cap.max)
    })
}

/// Republishes the live bundle as a new signed revision when a global cap is reached whose item
/// is not on its `exhausted` list; `None` when there is nothing to do. Checked again inside the
/// writing transaction, so concurrent callers (or servers sharing the database) publish once.
pub async fn publish_exhausted(state: &AppState) -> Result<Option<Published>, AppError> {
    let now = state.config.clock.now_ms();
    let stored = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            let Some((_, body)) = bundles::load_current(&tx)? else {
                return Ok(None);
            };
            let live: Value = serde_json::from_slice(&body)?;
            let bundle: Bundle = serde_json::from_value(live.clone())?;
            let new: Vec<(GlobalCap, i64)> = reached(&tx, &bundle)?
                .into_iter()
                .filter(|(cap, _)| !bundle.exhausted.contains(&cap.id))
                .collect();
            if new.is_empty() {
                return Ok(None);
            }
            let items: BTreeSet<String> = new.iter().map(|(cap, _)| cap.item()).collect();
            let target = items.into_iter().collect::<Vec<_>>().join(", ");
            let caps: Vec<Value> = new
                .iter()
                .map(|(cap, n)| {
                    json!({"item": cap.item(), "cap": cap.index, "event": cap.event,
                           "max": cap.max, "count": n})
                })
                .collect();
            let action = Action::new(Actor::system(), now, "exhaust", target.clone())
                .with(json!({ "caps": caps }));
            let source = format!("global cap reached: {target}");
            let stored = bundles::publish_tx(&tx, live, &source, action)?;
            tx.commit()?;
            Ok(Some(stored))
        })
        .await?;
    let Some((revision, body)) = stored else {
        return Ok(None);
    };
    let published = bundles::serve_revision(state, revision, body)?;
    tracing::info!(revision, "a global cap was reached: republished");
    Ok(Some(published))
}

/// After an ingestion: republishes when its totals reach a global cap of the live bundle. A
/// failure is logged, not returned (the events are stored): the next event counted for the item
/// and the publication schedule's tick try again.
pub async fn after_ingest(state: &AppState, totals: &Totals) {
    let Some(current) = state.bundle() else {
        return;
    };
    if !newly_reached(current.bundle(), totals) {
        return;
    }
    if let Err(e) = publish_exhausted(state).await {
        tracing::error!(error = %e, "republishing for a reached global cap failed");
    }
}

/// The schedule's check: republishes when the live bundle has a global cap reached but not
/// listed (a failed republication, events stored by other means, a cap lowered).
pub async fn check(state: &AppState) -> Result<Option<Published>, AppError> {
    let has_global = state
        .bundle()
        .is_some_and(|current| !global_caps(current.bundle()).is_empty());
    if !has_global {
        return Ok(None);
    }
    publish_exhausted(state).await
}

/// `GET /v1/caps` (viewer): the live bundle's global caps with everyone's counts.
pub async fn get(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, AppError> {
    let Some(current) = state.bundle() else {
        return Ok(Json(json!({ "revision": 0, "caps": [] })));
    };
    let revision = current.revision;
    let exhausted = current.bundle().exhausted.clone();
    let caps = global_caps(current.bundle());
    let counted = state
        .db
        .read(move |conn| {
            caps.into_iter()
                .map(|cap| Ok((count(conn, &cap.id, &cap.event)?, cap)))
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    let caps: Vec<Value> = counted
        .into_iter()
        .map(|(n, cap)| {
            json!({
                "item": cap.item(), "cap": cap.index, "event": cap.event, "max": cap.max,
                "count": n, "exhausted": exhausted.contains(&cap.id),
            })
        })
        .collect();
    Ok(Json(json!({ "revision": revision, "caps": caps })))
}

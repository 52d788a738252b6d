//! Storing events: counters per profile (snapshots), per-day aggregates (reports) and global
//! counts (global caps) in one transaction, with group commit across concurrent requests.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;
use crate::events::Event;

/// What one ingestion did.
#[derive(Debug, Default)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicates: usize,
    /// Indexes of events refused because their profile's `track` consent is `out`.
    pub opted_out: Vec<usize>,
    /// Indexes of events refused because their profile has the most events stored.
    pub over_cap: Vec<usize>,
    /// Profiles whose counters changed.
    pub profiles: BTreeSet<String>,
    /// The new totals of the global counts these events changed (see [`crate::caps`]).
    pub global: crate::caps::Totals,
}

fn day(ts: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ts)
        .map(|t| tz.to_datetime(t).date().to_string())
        .unwrap_or_default()
}

/// Stores valid events: an event for an id merged into another profile is stored for that
/// profile ([`crate::merge`]); those of profiles whose `track` consent is `out` are refused,
/// duplicates (same profile and id) are ignored, new events of a profile that has `cap` events
/// stored are refused, and the rest update the counters and the daily aggregates.
pub fn ingest(
    conn: &mut Connection,
    events: &[Event],
    cap: Option<u64>,
) -> Result<Ingested, AppError> {
    let tx = conn.transaction()?;
    let version = crate::db::next_seq(&tx)?;
    let out = ingest_in(&tx, events, version, cap)?;
    tx.commit()?;
    Ok(out)
}

/// [`ingest`] inside the caller's transaction; `version` versions the counters it changes.
pub fn ingest_in(
    tx: &Connection,
    events: &[Event],
    version: i64,
    cap: Option<u64>,
) -> Result<Ingested, AppError> {
    // Events of an id merged into another profile are that profile's (crate::merge).
    let resolved = resolve_merged(tx, events)?;
    let events = resolved.as_deref().unwrap_or(events);
    let mut out = Ingested::default();
    let mut fresh = Vec::with_capacity(events.len());
    let mut zones: HashMap<&str, Option<jiff::tz::TimeZone>> = HashMap::new();
    // Events stored per profile, when capped.
    let mut stored: HashMap<&str, u64> = HashMap::new();
    // Test profiles: their events never reach the daily aggregates (reports, bandits).
    let mut tests: std::collections::HashSet<&str> = std::collections::HashSet::new();
    {
        let mut profile = tx.prepare_cached(
            "SELECT time_zone, json_extract(doc, '$.consent.track'), json_extract(doc, '$.test')
             FROM profiles WHERE id = ?1",
        )?;
        let mut count = tx.prepare_cached("SELECT COUNT(*) FROM events WHERE profile_id = ?1")?;
        for e in events {
            let pid = e.profile_id.as_str();
            if cap.is_some() && !stored.contains_key(pid) {
                let n: i64 = count.query_row([pid], |row| row.get(0))?;
                stored.insert(pid, u64::try_from(n).unwrap_or(0));
            }
            if !zones.contains_key(pid) {
                let row: Option<(Option<String>, Option<String>, Option<bool>)> = profile
                    .query_row([pid], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()?;
                let zone = match &row {
                    Some((_, Some(track), _)) if track == "out" => None,
                    Some((tz, _, _)) => Some(crate::profiles::time_zone(tz.as_deref())),
                    None => Some(jiff::tz::TimeZone::UTC),
                };
                zones.insert(pid, zone);
                if row.is_some_and(|(_, _, test)| test == Some(true)) {
                    tests.insert(pid);
                }
            }
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (profile_id, id, type, name, ts, activity_id, variant_id,
               offer_id, placement_id, decision_id, data, test)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut exists =
            tx.prepare_cached("SELECT 1 FROM events WHERE profile_id = ?1 AND id = ?2")?;
        for e in events {
            if matches!(zones.get(e.profile_id.as_str()), Some(None)) {
                out.opted_out.push(e.index);
                continue;
            }
            let count = stored.get_mut(e.profile_id.as_str());
            if let (Some(cap), Some(count)) = (cap, &count)
                && **count >= cap
            {
                if exists.exists(params![e.profile_id, e.id])? {
                    out.duplicates += 1;
                } else {
                    out.over_cap.push(e.index);
                }
                continue;
            }
            let n = insert.execute(params![
                e.profile_id,
                e.id,
                e.kind,
                e.name,
                e.ts,
                e.activity_id,
                e.variant_id,
                e.offer_id,
                e.placement_id,
                e.decision_id,
                e.data,
                tests.contains(e.profile_id.as_str())
            ])?;
            if n == 0 {
                out.duplicates += 1;
            } else {
                if let Some(count) = count {
                    *count += 1;
                }
                fresh.push(e);
            }
        }
    }
    out.accepted = fresh.len();
    if fresh.is_empty() {
        return Ok(out);
    }
    // (profile, target, event, local day) → [count, newest timestamp]
    let mut counters: HashMap<(&str, &str, &str, String), [i64; 2]> = HashMap::new();
    let mut daily: HashMap<(String, &str, &str, &str, &str), [i64; 3]> = HashMap::new();
    // (target, event) → count, everyone's but test profiles' (global caps)
    let mut global: HashMap<(&str, &str), i64> = HashMap::new();
    {
        for e in &fresh {
            let pid = e.profile_id.as_str();
            let tz = zones
                .get(pid)
                .cloned()
                .flatten()
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let local_day = day(e.ts, &tz);
            let held_out = e.variant_id.as_deref() == Some(waymark_core::engine::HOLDOUT);
            let targets = counted_targets(
                e.activity_id.as_deref(),
                e.offer_id.as_deref(),
                e.variant_id.as_deref(),
            );
            for target in targets {
                let entry = counters
                    .entry((pid, target, e.event.as_str(), local_day.clone()))
                    .or_insert([0, e.ts]);
                entry[0] += 1;
                entry[1] = entry[1].max(e.ts);
            }
            if tests.contains(pid) {
                continue;
            }
            let mut targets = [e.activity_id.as_deref(), e.offer_id.as_deref()];
            if targets[0] == targets[1] || held_out {
                targets[1] = None;
            }
            if held_out {
                targets[0] = None;
            }
            for target in targets.into_iter().flatten() {
                *global.entry((target, e.event.as_str())).or_default() += 1;
            }
            let column = match e.kind {
                "display" => 0,
                "click" => 1,
                "dismiss" => 2,
                _ => continue,
            };
            let key = (
                day(e.ts, &jiff::tz::TimeZone::UTC),
                e.activity_id.as_deref().unwrap_or(""),
                e.variant_id.as_deref().unwrap_or(""),
                e.offer_id.as_deref().unwrap_or(""),
                e.placement_id.as_deref().unwrap_or(""),
            );
            daily.entry(key).or_default()[column] += 1;
        }
    }
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO counters (profile_id, target, event, day, n, version, last_ts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET n = n + excluded.n, version = excluded.version,
               last_ts = MAX(last_ts, excluded.last_ts)",
        )?;
        for ((pid, target, event, day), [n, last]) in &counters {
            upsert.execute(params![pid, target, event, day, n, version, last])?;
            out.profiles.insert((*pid).to_owned());
        }
        let mut agg = tx.prepare_cached(
            "INSERT INTO daily (day, activity_id, variant_id, offer_id, placement_id, displays,
               clicks, dismissals) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT DO UPDATE SET displays = displays + excluded.displays,
               clicks = clicks + excluded.clicks, dismissals = dismissals + excluded.dismissals",
        )?;
        for ((day, activity, variant, offer, placement), [d, c, x]) in &daily {
            agg.execute(params![day, activity, variant, offer, placement, d, c, x])?;
        }
    }
    out.global = crate::caps::add(tx, &global)?;
    Ok(out)
}

/// `events` with the ids merged into other profiles replaced by those profiles, or `None` when
/// no event's id was merged.
fn resolve_merged(tx: &Connection, events: &[Event]) -> Result<Option<Vec<Event>>, AppError> {
    let mut merged: HashMap<&str, Option<String>> = HashMap::new();
    for e in events {
        if !merged.contains_key(e.profile_id.as_str()) {
            merged.insert(&e.profile_id, crate::merge::resolve(tx, &e.profile_id)?);
        }
    }
    if merged.values().all(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(
        events
            .iter()
            .map(|e| match merged.get(e.profile_id.as_str()) {
                Some(Some(into)) => Event {
                    profile_id: into.clone(),
                    ..e.clone()
                },
                _ => e.clone(),
            })
            .collect(),
    ))
}

/// The targets of a profile's counters an event counts under: its activity and its offer, `*`
/// for an event with neither, and none for a held-out visitor's exposure (variant `holdout`):
/// they were shown nothing, so it counts in reports and experiment results only, towards no cap.
pub fn counted_targets<'e>(
    activity: Option<&'e str>,
    offer: Option<&'e str>,
    variant: Option<&str>,
) -> Vec<&'e str> {
    if variant == Some(waymark_core::engine::HOLDOUT) {
        return Vec::new();
    }
    let targets: Vec<&str> = [activity, offer].into_iter().flatten().collect();
    if targets.is_empty() {
        vec!["*"]
    } else {
        targets
    }
}

type Job = (
    Vec<Event>,
    tokio::sync::oneshot::Sender<Result<Ingested, AppError>>,
);

/// Group commit: a dedicated thread takes every batch waiting when it is free and ingests them
/// in one transaction, so concurrent requests share the cost of a commit.
#[derive(Debug, Clone)]
pub struct IngestQueue {
    jobs: std::sync::mpsc::Sender<Job>,
}

/// Events per group commit, at most (a single larger batch still goes alone).
const GROUP: usize = 5_000;

impl IngestQueue {
    /// Starts the writer thread; it ends when the last queue handle is dropped.
    /// `cap`: events stored per profile at most (see [`ingest`]).
    pub fn start(
        db: std::sync::Arc<crate::db::Db>,
        cap: Option<u64>,
    ) -> Result<IngestQueue, AppError> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("waymark-ingest".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut size = first.0.len();
                    let mut group = vec![first];
                    while size < GROUP {
                        match queue.try_recv() {
                            Ok(job) => {
                                size += job.0.len();
                                group.push(job);
                            }
                            Err(_) => break,
                        }
                    }
                    let result = db.write_blocking(|conn| {
                        let tx = conn.transaction()?;
                        let version = crate::db::next_seq(&tx)?;
                        let outs = group
                            .iter()
                            .map(|(events, _)| ingest_in(&tx, events, version, cap))
                            .collect::<Result<Vec<_>, _>>()?;
                        tx.commit()?;
                        Ok(outs)
                    });
                    match result {
                        Ok(outs) => {
                            for ((_, reply), out) in group.into_iter().zip(outs) {
                                let _ = reply.send(Ok(out));
                            }
                        }
                        Err(e) => {
                            for (_, reply) in group {
                                let _ = reply.send(Err(e.clone()));
                            }
                        }
                    }
                }
            })
            .map_err(|e| AppError::internal(format!("starting the ingest thread: {e}")))?;
        Ok(IngestQueue { jobs })
    }

    /// Ingests `events` with whatever else is waiting.
    pub async fn ingest(&self, events: Vec<Event>) -> Result<Ingested, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send((events, reply))
            .map_err(|_| AppError::internal("the ingest thread has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal("the ingest thread dropped a batch"))?
    }
}

#[cfg(test)]
mod tests {
    use super::counted_targets;

    #[test]
    fn a_held_out_exposure_counts_under_no_target() {
        assert_eq!(counted_targets(Some("a"), Some("o"), Some("v")), ["a", "o"]);
        assert_eq!(counted_targets(None, None, None), ["*"]);
        assert!(counted_targets(Some("a"), None, Some("holdout")).is_empty());
    }
}

//! Reports: displays, clicks, dismissals, CTR and conversions per activity, variant, offer,
//! placement and day (UTC, or the time zone the query names), the results of experiments (see
//! [`crate::experiments`]), plus the bandit statistics.
//!
//! UTC days are read from the `daily` aggregates. Days of another zone are counted from the
//! `events` table by quarter hour (every zone's offset and every transition falls on one), each
//! quarter going to the local day it starts in.
//!
//! A conversion is a custom event with the conversion name from a profile that had a display of
//! the target in the 7 days before it; one conversion event counts once for each distinct
//! (activity, variant, offer, placement) the profile was shown in that window.
//!
//! Test profiles' events are never counted: ingestion keeps them out of `daily` (which the
//! bandits read too) and conversions skip events marked `test`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access::{Admin, Viewer};
use crate::error::AppError;
use crate::state::AppState;

/// The attribution window of conversions.
pub const WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// One report line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub day: String,
    pub activity_id: String,
    pub variant_id: String,
    pub offer_id: String,
    pub placement_id: String,
    pub displays: i64,
    pub clicks: i64,
    pub dismissals: i64,
    /// clicks / displays (0 without displays).
    pub ctr: f64,
    pub conversions: i64,
}

/// The query: an inclusive day range, the conversion event's name and the time zone of days.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    pub from: Option<String>,
    pub to: Option<String>,
    pub conversion: Option<String>,
    pub time_zone: Option<String>,
}

/// A checked range.
#[derive(Debug, Clone)]
pub struct Checked {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub conversion: String,
    /// The IANA name of the zone days are counted in.
    pub zone_name: String,
    pub zone: jiff::tz::TimeZone,
}

impl Checked {
    /// `[start, end)` in milliseconds: from the start of `from` to the end of `to`, local time.
    pub fn instants(&self) -> Result<(i64, i64), AppError> {
        let end = self.to.tomorrow().unwrap_or(self.to);
        Ok((
            day_start_ms(self.from, &self.zone)?,
            day_start_ms(end, &self.zone)?,
        ))
    }

    fn is_utc(&self) -> bool {
        self.zone_name == "UTC"
    }
}

impl Range {
    /// Defaults: the last 30 days up to today, conversion `purchase`, days in UTC.
    pub fn check(&self) -> Result<Checked, String> {
        let zone_name = self.time_zone.clone().unwrap_or_else(|| "UTC".into());
        let zone = jiff::tz::TimeZone::get(&zone_name).map_err(|_| {
            format!(
                "`timeZone` must be an IANA time zone such as `Europe/Paris`, not `{zone_name}`"
            )
        })?;
        let zone_name = zone.iana_name().unwrap_or(&zone_name).to_owned();
        let today = zone.to_datetime(jiff::Timestamp::now()).date();
        let parse = |field: &str, value: &Option<String>, default: jiff::civil::Date| match value {
            None => Ok(default),
            Some(text) => text
                .parse::<jiff::civil::Date>()
                .map_err(|_| format!("`{field}` must be a date as YYYY-MM-DD, not `{text}`")),
        };
        let to = parse("to", &self.to, today)?;
        let from = parse(
            "from",
            &self.from,
            to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to),
        )?;
        if from > to {
            return Err(format!("`from` ({from}) is after `to` ({to})"));
        }
        let conversion = self.conversion.clone().unwrap_or_else(|| "purchase".into());
        Ok(Checked {
            from,
            to,
            conversion,
            zone_name,
            zone,
        })
    }
}

fn day_start_ms(date: jiff::civil::Date, zone: &jiff::tz::TimeZone) -> Result<i64, AppError> {
    Ok(date
        .to_zoned_datetime(zone.clone())
        .map_err(|e| AppError::internal(e.to_string()))?
        .timestamp()
        .as_millisecond())
}

type Key = (String, String, String, String, String);

/// A quarter hour in milliseconds: the grain of reports in a zone other than UTC.
const QUARTER_MS: i64 = 15 * 60 * 1000;

/// The report lines of a range, ordered by day, activity, variant, offer and placement.
pub fn rows(conn: &Connection, range: &Checked) -> Result<Vec<Row>, AppError> {
    let (start, end) = range.instants()?;
    let mut lines: BTreeMap<Key, Row> = BTreeMap::new();
    // UTC days come ready from `daily`; other zones' days are made of quarter hours.
    let (sql, bounds) = if range.is_utc() {
        (
            "SELECT day, activity_id, variant_id, offer_id, placement_id,
                    displays, clicks, dismissals
             FROM daily WHERE day BETWEEN ?1 AND ?2",
            (range.from.to_string(), range.to.to_string()),
        )
    } else {
        (
            "SELECT ts / 900000, COALESCE(activity_id, ''), COALESCE(variant_id, ''),
                    COALESCE(offer_id, ''), COALESCE(placement_id, ''),
                    SUM(type = 'display'), SUM(type = 'click'), SUM(type = 'dismiss')
             FROM events
             WHERE type IN ('display', 'click', 'dismiss') AND test = 0
                   AND ts >= CAST(?1 AS INTEGER) AND ts < CAST(?2 AS INTEGER)
             GROUP BY 1, 2, 3, 4, 5",
            (start.to_string(), end.to_string()),
        )
    };
    let mut stmt = conn.prepare(sql)?;
    let daily = stmt.query_map(params![bounds.0, bounds.1], |row| {
        let day = match row.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(quarter) => local_day(quarter, &range.zone),
            _ => row.get(0)?,
        };
        Ok(Row {
            day,
            activity_id: row.get(1)?,
            variant_id: row.get(2)?,
            offer_id: row.get(3)?,
            placement_id: row.get(4)?,
            displays: row.get(5)?,
            clicks: row.get(6)?,
            dismissals: row.get(7)?,
            ..Row::default()
        })
    })?;
    for row in daily {
        let row = row?;
        let line = lines.entry(key(&row)).or_insert_with(|| Row {
            displays: 0,
            clicks: 0,
            dismissals: 0,
            ..row.clone()
        });
        line.displays += row.displays;
        line.clicks += row.clicks;
        line.dismissals += row.dismissals;
    }
    let mut stmt = conn.prepare(
        "SELECT c.ts / 900000,
                COALESCE(d.activity_id, ''), COALESCE(d.variant_id, ''),
                COALESCE(d.offer_id, ''), COALESCE(d.placement_id, ''),
                c.profile_id || char(0) || c.id
         FROM events c
         JOIN events d ON d.profile_id = c.profile_id AND d.type = 'display'
              AND d.ts <= c.ts AND d.ts >= c.ts - ?4
         WHERE c.type = 'custom' AND c.name = ?1 AND c.ts >= ?2 AND c.ts < ?3 AND c.test = 0
         GROUP BY 1, 2, 3, 4, 5, 6",
    )?;
    let conversions = stmt.query_map(params![range.conversion, start, end, WINDOW_MS], |row| {
        Ok(Row {
            day: local_day(row.get(0)?, &range.zone),
            activity_id: row.get(1)?,
            variant_id: row.get(2)?,
            offer_id: row.get(3)?,
            placement_id: row.get(4)?,
            conversions: 1,
            ..Row::default()
        })
    })?;
    for conversion in conversions {
        let conversion = conversion?;
        let line = lines.entry(key(&conversion)).or_insert_with(|| Row {
            conversions: 0,
            ..conversion.clone()
        });
        line.conversions += 1;
    }
    Ok(lines
        .into_values()
        .map(|mut row| {
            if row.displays > 0 {
                row.ctr = row.clicks as f64 / row.displays as f64;
            }
            row
        })
        .collect())
}

fn key(row: &Row) -> Key {
    (
        row.day.clone(),
        row.activity_id.clone(),
        row.variant_id.clone(),
        row.offer_id.clone(),
        row.placement_id.clone(),
    )
}

/// The local day (`YYYY-MM-DD`) a quarter hour (milliseconds since the epoch / 900 000) starts in.
fn local_day(quarter: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(quarter.saturating_mul(QUARTER_MS))
        .map(|at| zone.to_datetime(at).date().to_string())
        .unwrap_or_default()
}

/// The results of the live bundle's experiments over the range (none before a publication).
pub fn experiments(
    conn: &Connection,
    range: &Checked,
) -> Result<Vec<crate::experiments::ExperimentResult>, AppError> {
    let Some((_, body)) = crate::bundles::load_current(conn)? else {
        return Ok(Vec::new());
    };
    let bundle: waymark_core::bundle::Bundle = serde_json::from_slice(&body)?;
    let instants = range.instants()?;
    let mut out = Vec::new();
    for activity in &bundle.activities {
        if let Some(result) =
            crate::experiments::result(conn, activity, instants, &range.conversion)?
        {
            out.push(result);
        }
    }
    Ok(out)
}

/// The whole report as JSON.
pub fn report(conn: &Connection, range: &Checked) -> Result<Value, AppError> {
    Ok(json!({
        "from": range.from.to_string(),
        "to": range.to.to_string(),
        "timeZone": range.zone_name,
        "conversion": range.conversion,
        "rows": rows(conn, range)?,
        "experiments": experiments(conn, range)?,
        "bandits": crate::bandit::load(conn)?,
        "policies": crate::bandit::load_policies(conn)?,
    }))
}

/// `GET /v1/reports?from=&to=&conversion=&timeZone=` (viewer)
pub async fn get(
    State(state): State<AppState>,
    _: Viewer,
    Query(range): Query<Range>,
) -> Result<Json<Value>, AppError> {
    let range = range.check().map_err(AppError::BadRequest)?;
    let report = state.db.read(move |conn| report(conn, &range)).await?;
    Ok(Json(report))
}

/// `POST /v1/bandits/recompute` (admin): recompute the Thompson weights of experiments and of
/// policies ranked by bandit now, and republish them when they changed materially;
/// `published` is the new revision, or `null`.
pub async fn recompute(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, AppError> {
    let (bandits, published) = recompute_and_publish(&state).await?;
    let policies = state.db.read(crate::bandit::load_policies).await?;
    Ok(Json(json!({
        "bandits": bandits,
        "policies": policies,
        "published": published.map(|p| p.revision),
    })))
}

/// What the bandit schedule runs: [`recompute_now`], then
/// [`crate::bandit::publish_weights`].
pub async fn recompute_and_publish(
    state: &AppState,
) -> Result<
    (
        Vec<crate::bandit::ExperimentStats>,
        Option<crate::bundles::Published>,
    ),
    AppError,
> {
    let bandits = recompute_now(state).await?;
    // Experiments or policies may have moved: publish_weights compares them with the live
    // bundle and publishes nothing when none did.
    let published = if state.bundle().is_some() {
        crate::bandit::publish_weights(state).await?
    } else {
        None
    };
    Ok((bandits, published))
}

/// Recomputes the weights for the current bundle's experiments (none without a bundle).
pub async fn recompute_now(
    state: &AppState,
) -> Result<Vec<crate::bandit::ExperimentStats>, AppError> {
    let Some(current) = state.bundle() else {
        return Ok(Vec::new());
    };
    state
        .db
        .write(move |conn| crate::bandit::recompute(conn, current.bundle()))
        .await
}

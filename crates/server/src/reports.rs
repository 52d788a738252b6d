//! Reports: displays, clicks, dismissals, CTR and conversions per activity, variant, offer,
//! placement and day (UTC), plus the bandit statistics of experiments.
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

/// The query: an inclusive day range and the conversion event's name.
#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    pub from: Option<String>,
    pub to: Option<String>,
    pub conversion: Option<String>,
}

/// A checked range.
#[derive(Debug, Clone)]
pub struct Checked {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub conversion: String,
}

impl Range {
    /// Defaults: the last 30 days up to today (UTC), conversion `purchase`.
    pub fn check(&self) -> Result<Checked, String> {
        let today = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
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
        })
    }
}

fn day_start_ms(date: jiff::civil::Date) -> Result<i64, AppError> {
    Ok(date
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map_err(|e| AppError::internal(e.to_string()))?
        .timestamp()
        .as_millisecond())
}

type Key = (String, String, String, String, String);

/// The report lines of a range, ordered by day, activity, variant, offer and placement.
pub fn rows(conn: &Connection, range: &Checked) -> Result<Vec<Row>, AppError> {
    let (from, to) = (range.from.to_string(), range.to.to_string());
    let mut lines: BTreeMap<Key, Row> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT day, activity_id, variant_id, offer_id, placement_id, displays, clicks, dismissals
         FROM daily WHERE day BETWEEN ?1 AND ?2",
    )?;
    let daily = stmt.query_map(params![from, to], |row| {
        Ok(Row {
            day: row.get(0)?,
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
        let key = (
            row.day.clone(),
            row.activity_id.clone(),
            row.variant_id.clone(),
            row.offer_id.clone(),
            row.placement_id.clone(),
        );
        lines.insert(key, row);
    }
    let start = day_start_ms(range.from)?;
    let end = day_start_ms(range.to.tomorrow().unwrap_or(range.to))?;
    let mut stmt = conn.prepare(
        "SELECT strftime('%Y-%m-%d', c.ts / 1000, 'unixepoch'),
                COALESCE(d.activity_id, ''), COALESCE(d.variant_id, ''),
                COALESCE(d.offer_id, ''), COALESCE(d.placement_id, ''),
                COUNT(DISTINCT c.profile_id || char(0) || c.id)
         FROM events c
         JOIN events d ON d.profile_id = c.profile_id AND d.type = 'display'
              AND d.ts <= c.ts AND d.ts >= c.ts - ?4
         WHERE c.type = 'custom' AND c.name = ?1 AND c.ts >= ?2 AND c.ts < ?3 AND c.test = 0
         GROUP BY 1, 2, 3, 4, 5",
    )?;
    let conversions = stmt.query_map(params![range.conversion, start, end, WINDOW_MS], |row| {
        Ok((
            (
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ),
            row.get::<_, i64>(5)?,
        ))
    })?;
    for conversion in conversions {
        let (key, n) = conversion?;
        let line = lines.entry(key.clone()).or_insert_with(|| Row {
            day: key.0,
            activity_id: key.1,
            variant_id: key.2,
            offer_id: key.3,
            placement_id: key.4,
            ..Row::default()
        });
        line.conversions += n;
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

/// The whole report as JSON.
pub fn report(conn: &Connection, range: &Checked) -> Result<Value, AppError> {
    Ok(json!({
        "from": range.from.to_string(),
        "to": range.to.to_string(),
        "conversion": range.conversion,
        "rows": rows(conn, range)?,
        "bandits": crate::bandit::load(conn)?,
    }))
}

/// `GET /v1/reports?from=&to=&conversion=` (admin)
pub async fn get(
    State(state): State<AppState>,
    _: Viewer,
    Query(range): Query<Range>,
) -> Result<Json<Value>, AppError> {
    let range = range.check().map_err(AppError::BadRequest)?;
    let report = state.db.read(move |conn| report(conn, &range)).await?;
    Ok(Json(report))
}

/// `POST /v1/bandits/recompute` (admin): recompute the Thompson weights now and republish them
/// when they changed materially; `published` is the new revision, or `null`.
pub async fn recompute(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, AppError> {
    let (bandits, published) = recompute_and_publish(&state).await?;
    Ok(Json(json!({
        "bandits": bandits,
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
    let published = if bandits.is_empty() {
        None
    } else {
        crate::bandit::publish_weights(state).await?
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

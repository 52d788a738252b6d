//! Pausing and resuming one activity or offer without editing the bundle: the API keeps the
//! paused ids (table `paused`), writes them into the `paused` list of every bundle it stores,
//! and republishes the live bundle as a new signed revision. The engine skips a paused item
//! with the reason `paused`. A pause outlasts later publications until it is resumed.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use crate::access::Admin;
use crate::audit::Action;
use crate::auth::Identity;
use crate::bundles;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
enum Item {
    Activity,
    Offer,
}

impl Item {
    fn list(self) -> &'static str {
        match self {
            Item::Activity => "activities",
            Item::Offer => "offers",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Item::Activity => "activity",
            Item::Offer => "offer",
        }
    }
}

/// `POST /v1/activities/{id}/pause` (admin)
pub async fn pause_activity(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    toggle(&state, &who, Item::Activity, id, true).await
}

/// `POST /v1/activities/{id}/resume` (admin)
pub async fn resume_activity(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    toggle(&state, &who, Item::Activity, id, false).await
}

/// `POST /v1/offers/{id}/pause` (admin)
pub async fn pause_offer(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    toggle(&state, &who, Item::Offer, id, true).await
}

/// `POST /v1/offers/{id}/resume` (admin)
pub async fn resume_offer(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    toggle(&state, &who, Item::Offer, id, false).await
}

/// Pauses (or resumes) `id` and republishes the live bundle: 201 with the new revision; 404
/// when the live bundle has no such item, 409 when there is no live bundle or nothing changes.
async fn toggle(
    state: &AppState,
    who: &Identity,
    item: Item,
    id: String,
    pause: bool,
) -> Result<Response, AppError> {
    let now = state.config.clock.now_ms();
    let verb = if pause { "pause" } else { "resume" };
    let action = Action::new(who, now, verb, format!("{}/{id}", item.name()));
    let (revision, body) = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            let Some((_, body)) = bundles::load_current(&tx)? else {
                return Err(AppError::Conflict(format!(
                    "no bundle is published: there is nothing to {verb}"
                )));
            };
            let live: Value = serde_json::from_slice(&body)?;
            let known = live[item.list()]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == id.as_str()));
            if !known {
                return Err(AppError::NotFound(format!(
                    "the live bundle has no {} `{id}`",
                    item.name()
                )));
            }
            let changed = if pause {
                tx.execute(
                    "INSERT OR IGNORE INTO paused (item_id, paused_at) VALUES (?1, ?2)",
                    rusqlite::params![id, now],
                )?
            } else {
                tx.execute("DELETE FROM paused WHERE item_id = ?1", [&id])?
            };
            if changed == 0 {
                return Err(AppError::Conflict(format!(
                    "{} `{id}` is already {}",
                    item.name(),
                    if pause { "paused" } else { "running" }
                )));
            }
            let source = format!("{verb} {} {id}", item.name());
            let stored = bundles::publish_tx(&tx, live, &source, action)?;
            tx.commit()?;
            Ok(stored)
        })
        .await?;
    let published = bundles::serve_revision(state, revision, body)?;
    tracing::info!(revision, "{verb}d an item and republished");
    Ok(bundles::created(&published))
}

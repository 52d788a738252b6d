//! Decisions: given a compiled bundle, a profile snapshot, the request context, the visitor's
//! local state and "now", what each requested surface shows, and why.
//!
//! [`Engine::new`] compiles a bundle once (conditions, templates, surface and placement
//! indexes); [`Engine::decide`] is then cheap and pure. The order of checks for an activity is
//! consent, paused, exhausted, schedule, audience, quiet hours, channel rules (in-app trigger and
//! frequency, card expiry and dismissal), caps, experiment holdout, and conflicts. Conflicts are
//! settled by priority (higher first) and then by activity id (lexicographically smaller
//! first): one winner per surface and channel, per selector for web actions, up to the feed size
//! for cards, and one in-app message per decision.

mod activities;
mod clock;
mod compile;
mod counters;
mod fasthash;
mod fields;
mod input;
mod offers;
mod output;
mod projection;
mod read;
mod reasons;
mod render;
mod sort;
mod state;
mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::bundle::{Bundle, BundleErrors, Channel};
use crate::expr::{Env, Expr, PathCache};
use crate::template::{Partials, Template};
use crate::wire::Wire as _;
use fasthash::HashMap;
use reasons::Name;

pub use activities::HOLDOUT;
pub use input::{
    Consent, ConsentState, Counter, Counters, DecideInput, LocalEvent, Request, Snapshot, State,
};
pub use output::{
    Decision, OfferItem, Outcome, PlacementDecision, Proposition, Rendered, RenderedAction,
    RenderedButton, RenderedCard, RenderedImage, RenderedInApp, StateChanges,
};
pub use projection::Projection;
pub use read::InputError;
pub use reasons::{Reason, ReasonRef, Reasons};
pub use state::{MAX_EVENT_AGE_MS, MAX_EVENTS};

/// A compiled bundle, ready to decide.
#[derive(Debug, Clone)]
pub struct Engine {
    bundle: Bundle,
    activities: Vec<compile::CompiledActivity>,
    /// Activity indexes per page (`scheme://host/path`) for their non-wildcard surfaces.
    by_page: HashMap<String, Vec<usize>>,
    /// Activity indexes per (scheme, host) for their wildcard surfaces.
    wildcards: HashMap<String, Vec<usize>>,
    offers: Vec<compile::CompiledOffer>,
    /// How many condition paths are numbered for each decision's `PathCache`.
    paths: usize,
    /// The names reasons refer to (see [`Names`]), shared by every decision.
    names: Arc<[Box<str>]>,
    name_bases: Names,
    /// Each activity's place in the (priority descending, id ascending) order.
    activity_order: Vec<u32>,
    /// Each offer's place in the (priority descending, id ascending) order.
    offer_order: Vec<u32>,
    /// Each placement's surface, as decisions show it.
    placement_surfaces: Vec<String>,
    /// Placement indexes per page (`scheme://host/path`).
    placements_by_page: HashMap<String, Vec<usize>>,
    /// Offer indexes per placement id.
    offers_by_placement: HashMap<String, Vec<usize>>,
    /// Policy index per placement id.
    policies: HashMap<String, compile::CompiledPolicy>,
    /// Compiled templates by source text.
    templates: HashMap<String, Template>,
    partials: Partials,
    channels: HashMap<String, Channel>,
    /// The locales and zone rules the templates can reach (see `crate::tables`).
    tables: crate::tables::Carried,
    projection: Projection,
    /// A hash of the whole bundle as compiled (see `compile::fingerprint`): decision ids differ
    /// between bundles that share an id and a revision (every unpublished bundle has revision 0).
    fingerprint: u64,
}

impl Engine {
    /// Parses, validates and compiles a bundle.
    pub fn from_json(text: &str) -> Result<Engine, BundleErrors> {
        Engine::new(crate::bundle::load_unchecked(text)?)
    }

    /// Compiles a bundle. Every condition and template that does not compile is reported with
    /// its JSON pointer.
    pub fn new(bundle: Bundle) -> Result<Engine, BundleErrors> {
        compile::compile(bundle)
    }

    /// Compiles a bundle and encodes the result as a compiled bundle: the bundle with its
    /// conditions, templates and indexes already worked out, for runtimes that load bundles
    /// with [`Engine::from_compiled`] and so carry no compiler (the browser SDK).
    pub fn compile_encoded(bundle: Bundle) -> Result<(Engine, Vec<u8>), BundleErrors> {
        let engine = Engine::new(bundle)?;
        let mut w = crate::wire::Writer::default();
        w.buf.extend_from_slice(crate::wire::MAGIC);
        engine.put(&mut w);
        Ok((engine, w.buf))
    }

    /// Loads a compiled bundle made by [`Engine::compile_encoded`]. Bytes that are not one give
    /// a single problem saying where decoding stopped; nothing is parsed or compiled.
    ///
    /// The bundle is not validated again: the central API validated it before compiling it, and
    /// a runtime trusts a compiled bundle as far as its signature (the SDK checks it when given
    /// the API's public key). Untrusted bytes cannot make this or a decision panic or run away,
    /// though: lengths, tags, nesting and the indexes into the bundle are all checked.
    pub fn from_compiled(bytes: &[u8]) -> Result<Engine, BundleErrors> {
        let mut r = crate::wire::Reader::new(bytes);
        let decoded = (|| {
            if r.bytes(crate::wire::MAGIC.len())? != crate::wire::MAGIC {
                return Err(r.error("wrong magic or version"));
            }
            let engine = Engine::get(&mut r)?;
            if !r.is_empty() {
                return Err(r.error("trailing bytes"));
            }
            Ok(engine)
        })();
        decoded.map_err(|e| {
            BundleErrors(vec![crate::bundle::Problem {
                pointer: String::new(),
                message: e.to_string(),
            }])
        })
    }

    /// The decision's locales and zone rules: the engine's, and the visitor's zone rule.
    fn tables_for<'a>(&'a self, input: &'a DecideInput) -> crate::tables::ForDecision<'a> {
        self.tables.with_visitor(
            input.snapshot.time_zone.as_deref(),
            input.snapshot.time_zone_rule.as_deref(),
        )
    }

    /// The visitor's zone, if known (see [`Snapshot::time_zone_rule`]).
    fn visitor_zone(&self, input: &DecideInput) -> Option<crate::time::Zone> {
        use crate::tables::Tables as _;
        let name = input.snapshot.time_zone.as_deref()?;
        self.tables_for(input).zone(name)
    }

    /// The bundle, giving up the compiled form.
    pub fn into_bundle(self) -> Bundle {
        self.bundle
    }

    /// The bundle this engine decides with.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Which profile attributes the bundle reads: what a snapshot must carry. Empty for an
    /// engine loaded from a compiled bundle (the central API filters snapshots, not runtimes).
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Decides what every requested surface shows.
    pub fn decide(&self, input: &DecideInput) -> Decision {
        let mut run = Run::new(self, input);
        let propositions = activities::decide(&mut run);
        let offers = offers::decide(&mut run);
        Decision {
            decision_id: run.decision_id.clone(),
            bundle_revision: self.bundle.revision,
            propositions,
            offers,
            reasons: run.reasons,
            state_changes: StateChanges {
                assignments: run.assignments,
            },
            diagnostics: run.diagnostics,
        }
    }
}

/// The working state of one decision.
struct Run<'e> {
    engine: &'e Engine,
    input: &'e DecideInput,
    clock: clock::Clock,
    /// `{profile, context, events, event}`: what conditions and templates see.
    data: Value,
    env: Env,
    /// What the conditions' numbered paths found in `data`.
    paths: PathCache,
    consent: bool,
    decision_id: String,
    reasons: Reasons,
    assignments: BTreeMap<String, String>,
    diagnostics: Vec<String>,
    /// Render options for HTML fields and for text and URL fields.
    render_html: crate::template::RenderOptions,
    render_text: crate::template::RenderOptions,
    /// The requested surfaces, parsed once.
    surfaces: Vec<Result<crate::bundle::Surface, String>>,
    /// The placements on the requested surfaces, in bundle order.
    placements: Vec<usize>,
    /// At most how many reasons the placements give.
    offer_reasons: usize,
}

/// At most this many diagnostics are returned per decision.
const MAX_DIAGNOSTICS: usize = 32;

impl<'e> Run<'e> {
    fn new(engine: &'e Engine, input: &'e DecideInput) -> Run<'e> {
        let consent = match input.snapshot.consent.personalize {
            ConsentState::In => true,
            ConsentState::Out => false,
            ConsentState::Pending => engine.bundle.settings.personalize_when_consent_pending,
        };
        let data = data_document(input, consent);
        let zone = engine.visitor_zone(input);
        let mut diagnostics = Vec::new();
        if let (Some(name), None) = (&input.snapshot.time_zone, &zone) {
            diagnostics.push(format!("snapshot: unknown time zone `{name}`; UTC is used"));
        }
        let (render_html, render_text) = render::options(
            input,
            &data,
            zone.is_some(),
            &engine.bundle.settings.app_schemes,
        );
        let surfaces = input
            .request
            .surfaces
            .iter()
            .map(|s| {
                crate::bundle::Surface::parse(s)
                    .map_err(|e| format!("request: `{s}` is not a surface: {e}"))
            })
            .collect::<Vec<_>>();
        let (placements, offer_reasons) = offers::placements(engine, &surfaces);
        Run {
            placements,
            offer_reasons,
            engine,
            input,
            clock: clock::Clock::new(input.now, zone),
            data,
            render_html,
            render_text,
            surfaces,
            env: Env::new(input.now),
            paths: PathCache::new(engine.paths),
            consent,
            decision_id: decision_id(engine, input),
            reasons: Reasons::new(Arc::clone(&engine.names)),
            assignments: BTreeMap::new(),
            diagnostics,
        }
    }

    fn reason(&mut self, id: Name, scope: Name, outcome: Outcome, detail: Option<Name>) {
        self.reasons.push(id, scope, outcome, detail);
    }

    /// A name for a reason made by this decision.
    fn name(&mut self, text: String) -> Name {
        self.reasons.make(text)
    }

    fn diagnostic(&mut self, message: String) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS && !self.diagnostics.contains(&message) {
            self.diagnostics.push(message);
        }
    }

    /// Evaluates a condition over the decision's data, recording its diagnostics.
    fn holds(&mut self, expr: &Expr, what: &str) -> bool {
        let (matched, diagnostics) = expr.matches_cached(&self.data, &self.env, &mut self.paths);
        for diagnostic in &diagnostics {
            self.diagnostic(format!("{what}: {diagnostic}"));
        }
        matched
    }

    /// The unit experiments bucket on.
    fn unit(&self) -> &str {
        let profile = &self.input.snapshot.profile_id;
        if profile.is_empty() {
            &self.input.state.visitor_id
        } else {
            profile
        }
    }

    fn tally(&self) -> counters::Tally<'_> {
        counters::Tally::new(
            &self.input.snapshot.counters,
            &self.input.state.events,
            self.input.state.session_start,
            &self.clock,
        )
    }
}

/// Builds the document conditions and templates read. Without consent the profile is empty.
fn data_document(input: &DecideInput, consent: bool) -> Value {
    let snapshot = &input.snapshot;
    let mut profile = match (&snapshot.attributes, consent) {
        (Value::Object(attributes), true) => attributes.clone(),
        _ => Map::new(),
    };
    if consent {
        profile
            .entry("id")
            .or_insert_with(|| Value::String(snapshot.profile_id.clone()));
        profile.entry("audiences").or_insert_with(|| {
            Value::Array(
                snapshot
                    .audiences
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            )
        });
    }
    let mut events: Vec<Value> = Vec::new();
    if consent {
        events.extend(
            input
                .state
                .events
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok()),
        );
    }
    let event = input
        .request
        .event
        .as_ref()
        .and_then(|e| serde_json::to_value(e).ok());
    if let Some(event) = &event {
        events.push(event.clone());
    }
    let mut data = Map::new();
    data.insert("profile".into(), Value::Object(profile));
    data.insert("context".into(), input.context.clone());
    data.insert("events".into(), Value::Array(events));
    data.insert("event".into(), event.unwrap_or(Value::Null));
    Value::Object(data)
}

/// A deterministic id for the decision: a hash of which bundle (its fingerprint), who, when and
/// what. Each free-form part is prefixed with its length, so that no two inputs make one key.
fn decision_id(engine: &Engine, input: &DecideInput) -> String {
    let mut key = format!("{:016x}|{}", engine.fingerprint, input.now);
    let parts = [&input.snapshot.profile_id, &input.state.visitor_id]
        .into_iter()
        .chain(&input.request.surfaces);
    for part in parts {
        key.push('|');
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    let high = crate::hash::murmur3_x86_32(key.as_bytes(), 0x5741_594d);
    let low = crate::hash::murmur3_x86_32(key.as_bytes(), 0x4445_4349);
    format!("{high:08x}{low:08x}")
}

/// A tracking token, `{a}:{b}:{c}`, built in one allocation.
fn token(a: &str, b: &str, c: &str) -> String {
    let mut token = String::with_capacity(a.len() + b.len() + c.len() + 2);
    token.push_str(a);
    token.push(':');
    token.push_str(b);
    token.push(':');
    token.push_str(c);
    token
}

/// Where each kind of name starts in [`Engine::names`]: activity ids, offer ids, placement ids,
/// `lost to {activity id}` per activity (the detail of those that lose a conflict to it), then
/// `rank 2`, `rank 3`, ... (the details of ranked-out offers).
#[derive(Debug, Clone, Copy, Default)]
struct Names {
    offers: usize,
    placements: usize,
    lost_to: usize,
    ranks: usize,
    end: usize,
}

impl Engine {
    fn activity_name(&self, index: usize) -> Name {
        Name::shared(index)
    }

    fn offer_name(&self, index: usize) -> Name {
        Name::shared(self.name_bases.offers + index)
    }

    fn placement_name(&self, index: usize) -> Name {
        Name::shared(self.name_bases.placements + index)
    }

    fn lost_to(&self, activity: usize) -> Name {
        Name::shared(self.name_bases.lost_to + activity)
    }

    /// `rank {rank}`, when the table has it.
    fn rank_name(&self, rank: usize) -> Option<Name> {
        let at = self.name_bases.ranks + rank.checked_sub(1)?;
        (at < self.name_bases.end).then(|| Name::shared(at))
    }
}

/// Shared handle to a compiled condition.
type Cond = Arc<Expr>;

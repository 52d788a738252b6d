//! Compiling a bundle: conditions to expressions, template strings to templates, and the
//! indexes that keep a decision's cost proportional to what the requested surfaces can show.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::fasthash::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::bundle::{
    Activity, Bundle, BundleErrors, Condition, Content, Offer, Problem, Ranking, Schedule, Trigger,
};
use crate::expr::Expr;
use crate::template::{Partials, Template};

use super::clock::parse_rfc3339;
use super::projection::Projection;
use super::{Cond, Engine};

#[derive(Debug, Clone)]
pub(super) struct CompiledActivity {
    /// On the bundle's exhausted list.
    pub(super) exhausted: bool,
    /// On the bundle's paused list.
    pub(super) paused: bool,
    pub(super) audience: Option<Cond>,
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
    /// For in-app messages triggered by an event with a condition.
    pub(super) trigger: Option<Cond>,
    /// For cards: when they appear and expire.
    pub(super) published: Option<i64>,
    pub(super) expires: Option<i64>,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledOffer {
    /// On the bundle's exhausted list.
    pub(super) exhausted: bool,
    /// On the bundle's paused list.
    pub(super) paused: bool,
    pub(super) eligibility: Option<Cond>,
    /// Whether the eligibility condition reads `offer` (else it runs without it).
    pub(super) eligibility_reads_offer: bool,
    /// Whether any representation's template reads `offer`.
    pub(super) templates_read_offer: bool,
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
    /// `{id, name, priority, tags, attributes}`, what conditions see as `offer`.
    pub(super) value: Value,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledPolicy {
    pub(super) index: usize,
    pub(super) collection: Option<Cond>,
    pub(super) formula: Option<Cond>,
    /// Whether the collection filter or the formula reads `offer`.
    pub(super) reads_offer: bool,
    /// The fallback offer's index.
    pub(super) fallback: Option<usize>,
}

/// Whether an expression reads the `offer` root.
fn reads_offer(expr: Option<&Cond>) -> bool {
    expr.is_some_and(|e| {
        let reads = e.reads();
        reads.dynamic
            || reads
                .paths
                .iter()
                .any(|p| p.first().is_some_and(|k| k == "offer"))
    })
}

struct Compiler {
    audiences: BTreeMap<String, Cond>,
    templates: HashMap<String, Template>,
    /// The sources of `templates` compiled as HTML.
    html_sources: HashSet<String>,
    /// Numbers of the paths conditions' shortcuts read (see `PathCache`).
    paths: HashMap<String, usize>,
    reads: Projection,
    problems: Vec<Problem>,
    /// The partial names templates may include (see `compile`).
    known_partials: HashSet<String>,
}

pub(super) fn compile(bundle: Bundle) -> Result<Engine, BundleErrors> {
    let mut c = Compiler {
        audiences: BTreeMap::new(),
        templates: HashMap::default(),
        html_sources: HashSet::new(),
        paths: HashMap::default(),
        reads: Projection::default(),
        problems: Vec::new(),
        known_partials: HashSet::new(),
    };
    // Audiences that name another audience compile after it: in rounds, each compiling those
    // whose reference is ready. What is left refers to itself through others: a cycle.
    let mut pending: Vec<(&String, &Condition)> = bundle.audiences.iter().collect();
    loop {
        let before = pending.len();
        pending.retain(|&(name, condition)| {
            if let Condition::Audience { audience } = condition
                && !c.audiences.contains_key(audience)
                && bundle.audiences.contains_key(audience)
            {
                return true; // its reference is not compiled yet
            }
            let at = pointer(&["audiences", name]);
            if let Some(expr) = c.condition(&at, condition) {
                c.audiences.insert(name.clone(), expr);
            }
            false
        });
        if pending.len() == before {
            break;
        }
    }
    for (name, _) in pending {
        c.problem(
            pointer(&["audiences", name, "audience"]),
            format!("audience `{name}` refers to itself (directly or through other audiences)"),
        );
    }
    let mut partials = Partials::new();
    for (name, src) in &bundle.partials {
        match Template::compile(name, src) {
            Ok(template) => {
                c.reads.add_template(&template);
                partials.insert(template);
            }
            Err(e) => c.problem(pointer(&["partials", name]), e.brief()),
        }
    }
    // The partials a template may include: the bundle's, and the inline ones its partials
    // define (an inline partial is visible to the partials called where it is defined).
    c.known_partials = partials
        .iter()
        .flat_map(|p| p.inline_names().into_iter().chain([p.name()]))
        .map(str::to_owned)
        .collect();

    // Templates first, each source once (the first place it appears names it). A source used
    // in an HTML field is compiled as HTML (the contexts do not change how it renders as
    // text); its errors point at the first HTML field.
    let mut html_at: HashMap<String, String> = HashMap::default();
    super::fields::each_template(&bundle, &mut |at, src, place| {
        if place.html && !html_at.contains_key(src) {
            html_at.insert(src.to_owned(), at.to_owned());
        }
    });
    let mut templates_read_offer = vec![false; bundle.offers.len()];
    super::fields::each_template(&bundle, &mut |at, src, place| {
        let reads = c.template(at, src, html_at.get(src).map(String::as_str));
        if let Some(flag) = place.offer.and_then(|i| templates_read_offer.get_mut(i)) {
            *flag |= reads;
        }
    });
    c.html_partials(&mut partials);
    // A partial may also include an inline partial of a template that calls it.
    let inline: Vec<String> = c
        .templates
        .values()
        .flat_map(|t| t.inline_names().into_iter().map(str::to_owned))
        .collect();
    c.known_partials.extend(inline);
    for partial in partials.iter() {
        if let Some(e) = partial.missing_partial(&|name| c.known_partials.contains(name)) {
            let at = pointer(&["partials", partial.name()]);
            c.problem(at, e.brief());
        }
    }

    let exhausted: HashSet<&str> = bundle.exhausted.iter().map(String::as_str).collect();
    let paused: HashSet<&str> = bundle.paused.iter().map(String::as_str).collect();
    let activities = bundle
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| CompiledActivity {
            exhausted: exhausted.contains(a.id.as_str()),
            paused: paused.contains(a.id.as_str()),
            ..c.activity(&format!("/activities/{i}"), a)
        })
        .collect();
    let offers = bundle
        .offers
        .iter()
        .enumerate()
        .map(|(i, offer)| {
            let at = format!("/offers/{i}");
            let eligibility = offer
                .eligibility
                .as_ref()
                .and_then(|e| c.offer_condition(&format!("{at}/eligibility"), e));
            let (start, end) = c.schedule(&at, &offer.schedule);
            CompiledOffer {
                exhausted: exhausted.contains(offer.id.as_str()),
                paused: paused.contains(offer.id.as_str()),
                eligibility_reads_offer: reads_offer(eligibility.as_ref()),
                eligibility,
                templates_read_offer: templates_read_offer.get(i).copied().unwrap_or(false),
                start,
                end,
                value: offer_value(offer),
            }
        })
        .collect();
    let mut policies = HashMap::default();
    for (index, policy) in bundle.policies.iter().enumerate() {
        let at = format!("/policies/{index}");
        let collection = policy
            .collection
            .as_ref()
            .and_then(|e| c.offer_condition(&format!("{at}/collection"), e));
        let formula = match &policy.ranking {
            Ranking::Formula { formula } => {
                c.offer_condition(&format!("{at}/ranking/formula"), formula)
            }
            Ranking::Priority | Ranking::Bandit { .. } => None,
        };
        policies
            .entry(policy.placement.clone())
            .or_insert(CompiledPolicy {
                index,
                reads_offer: reads_offer(collection.as_ref()) || reads_offer(formula.as_ref()),
                fallback: policy
                    .fallback
                    .as_ref()
                    .and_then(|id| bundle.offers.iter().position(|o| &o.id == id)),
                collection,
                formula,
            });
    }
    if !c.problems.is_empty() {
        return Err(BundleErrors(c.problems));
    }

    // Activities by page (`scheme://host/path`), and wildcard ones by site.
    let mut by_page: HashMap<String, Vec<usize>> = HashMap::default();
    let mut wildcards: HashMap<String, Vec<usize>> = HashMap::default();
    for (index, activity) in bundle.activities.iter().enumerate() {
        let mut pages = HashSet::new();
        let mut sites = HashSet::new();
        for surface in &activity.surfaces {
            if surface.is_wildcard() {
                sites.insert(surface.site_key().to_owned());
            } else {
                pages.insert(surface.page_key().to_owned());
            }
        }
        for page in pages {
            by_page.entry(page).or_default().push(index);
        }
        for site in sites {
            wildcards.entry(site).or_default().push(index);
        }
    }
    let mut placements_by_page: HashMap<String, Vec<usize>> = HashMap::default();
    for (index, placement) in bundle.placements.iter().enumerate() {
        placements_by_page
            .entry(placement.surface.page_key().to_owned())
            .or_default()
            .push(index);
    }
    let mut offers_by_placement: HashMap<String, Vec<usize>> = HashMap::default();
    for (index, offer) in bundle.offers.iter().enumerate() {
        for placement in offer.representations.keys() {
            offers_by_placement
                .entry(placement.clone())
                .or_default()
                .push(index);
        }
    }
    let channels = bundle
        .activities
        .iter()
        .filter_map(|a| Some((a.id.clone(), a.channel()?)))
        .collect();
    let activity_order = order(
        bundle
            .activities
            .iter()
            .map(|a| (i64::from(a.priority), a.id.as_str()))
            .collect(),
    );
    let offer_order = order(
        bundle
            .offers
            .iter()
            .map(|o| (i64::from(o.priority), o.id.as_str()))
            .collect(),
    );
    let most_offers = offers_by_placement
        .values()
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let mut names: Vec<Box<str>> = Vec::new();
    names.extend(bundle.activities.iter().map(|a| a.id.as_str().into()));
    let offers_at = names.len();
    names.extend(bundle.offers.iter().map(|o| o.id.as_str().into()));
    let placements_at = names.len();
    names.extend(bundle.placements.iter().map(|p| p.id.as_str().into()));
    let lost_to_at = names.len();
    names.extend(
        bundle
            .activities
            .iter()
            .map(|a| format!("lost to {}", a.id).into_boxed_str()),
    );
    let ranks_at = names.len();
    names.extend((1..=most_offers).map(|rank| format!("rank {rank}").into_boxed_str()));
    let name_bases = super::Names {
        offers: offers_at,
        placements: placements_at,
        lost_to: lost_to_at,
        ranks: ranks_at,
        end: names.len(),
    };
    let placement_surfaces = bundle
        .placements
        .iter()
        .map(|p| p.surface.to_string())
        .collect();
    Ok(Engine {
        paths: c.paths.len(),
        names: names.into(),
        name_bases,
        placement_surfaces,
        activity_order,
        offer_order,
        activities,
        by_page,
        wildcards,
        offers,
        offers_by_placement,
        placements_by_page,
        policies,
        tables: tables(&c.templates, &partials),
        templates: c.templates,
        partials,
        channels,
        projection: c.reads,
        fingerprint: fingerprint(&bundle),
        bundle,
    })
}

/// 64 bits of MurmurHash3 over the bundle's JSON as the engine read it (its id, revision and
/// everything else): what tells two bundles apart in decision ids.
fn fingerprint(bundle: &Bundle) -> u64 {
    let json = serde_json::to_vec(bundle).unwrap_or_default();
    let high = crate::hash::murmur3_x86_32(&json, 0x4649_4e47);
    let low = crate::hash::murmur3_x86_32(&json, 0x5052_4e54);
    (u64::from(high) << 32) | u64::from(low)
}

/// The locales and zone rules the templates and partials can reach.
fn tables(templates: &HashMap<String, Template>, partials: &Partials) -> crate::tables::Carried {
    let mut needs = crate::template::DataNeeds::default();
    for template in templates.values() {
        needs.add(template);
    }
    needs.add_partials(partials);
    crate::tables::Carried::new(
        needs.locales.iter().map(String::as_str),
        needs.any_locale,
        needs.zones.iter().map(String::as_str),
        needs.any_zone,
    )
}

/// The fields of what conditions and templates see as `offer` (see [`offer_value`]).
const OFFER_FIELDS: [&str; 5] = ["id", "name", "priority", "tags", "attributes"];

/// `{id, name, priority, tags, attributes}`: what conditions and templates see as `offer`.
pub(super) fn offer_value(offer: &Offer) -> Value {
    json!({
        "id": offer.id,
        "name": offer.name,
        "priority": offer.priority,
        "tags": offer.tags,
        "attributes": offer.attributes,
    })
}

/// Each item's place in the order conflicts are settled by: priority descending, then id
/// ascending. Items with the same priority and id share a place, so sorting by place is sorting
/// by (priority, id).
fn order(keys: Vec<(i64, &str)>) -> Vec<u32> {
    let mut sorted: Vec<usize> = (0..keys.len()).collect();
    sorted.sort_by(|&a, &b| {
        let ((pa, ia), (pb, ib)) = (keys[a], keys[b]);
        pb.cmp(&pa).then_with(|| ia.cmp(ib))
    });
    let mut places = vec![0u32; keys.len()];
    let mut place = 0u32;
    for (n, &index) in sorted.iter().enumerate() {
        if n > 0 && keys[sorted[n - 1]] != keys[index] {
            place += 1;
        }
        places[index] = place;
    }
    places
}

impl Compiler {
    fn problem(&mut self, pointer: String, message: String) {
        self.problems.push(Problem { pointer, message });
    }

    fn condition(&mut self, at: &str, condition: &Condition) -> Option<Cond> {
        let compiled = match condition {
            Condition::Audience { audience } => {
                let found = self.audiences.get(audience).cloned();
                if found.is_none() {
                    // Never "no condition": that would let everyone in.
                    let mut target = String::from("/audiences");
                    crate::bundle::push_pointer(&mut target, audience);
                    self.problem(
                        format!("{at}/audience"),
                        format!("audience `{audience}` is not usable (see {target})"),
                    );
                }
                return found;
            }
            Condition::Text(src) => Expr::parse(src).map_err(|e| (String::new(), e.brief())),
            Condition::JsonLogic { jsonlogic } => Expr::from_jsonlogic(jsonlogic)
                .map_err(|e| (format!("/jsonlogic{}", e.pointer), e.kind.to_string())),
        };
        match compiled {
            Ok(mut expr) => {
                self.reads.add_expr(&expr);
                let paths = &mut self.paths;
                expr.number_path(|key| {
                    let next = paths.len();
                    *paths.entry(key).or_insert(next)
                });
                Some(Arc::new(expr))
            }
            Err((below, message)) => {
                self.problem(format!("{at}{below}"), message);
                None
            }
        }
    }

    /// Compiles a condition that sees `offer` (an offer's eligibility, a policy's collection
    /// or formula): reading a field an offer does not have is a problem, since it would always
    /// be missing. The usual slip is a catalogue attribute read as `offer.<key>`.
    fn offer_condition(&mut self, at: &str, condition: &Condition) -> Option<Cond> {
        let compiled = self.condition(at, condition)?;
        for path in &compiled.reads().paths {
            if let [root, field, ..] = path.as_slice()
                && root == "offer"
                && !OFFER_FIELDS.contains(&field.as_str())
            {
                self.problem(
                    at.to_owned(),
                    format!(
                        "`offer.{field}` is not a field of an offer, which has {}; a catalogue attribute is `offer.attributes.{field}`",
                        OFFER_FIELDS.map(|f| format!("`{f}`")).join(", ")
                    ),
                );
            }
        }
        Some(compiled)
    }

    fn time(&mut self, at: &str, text: Option<&str>) -> Option<i64> {
        let text = text?;
        let parsed = parse_rfc3339(text);
        if parsed.is_none() {
            self.problem(
                at.to_owned(),
                format!("`{text}` is not an RFC 3339 timestamp"),
            );
        }
        parsed
    }

    /// The start and end of the schedule of the item at `at`, in milliseconds; an end at or
    /// before the start (a schedule that is never live) is a problem.
    fn schedule(&mut self, at: &str, schedule: &Schedule) -> (Option<i64>, Option<i64>) {
        let start = self.time(&format!("{at}/schedule/start"), schedule.start.as_deref());
        let end = self.time(&format!("{at}/schedule/end"), schedule.end.as_deref());
        if let (Some(start_ms), Some(end_ms), Some(start_text)) = (start, end, &schedule.start)
            && end_ms <= start_ms
        {
            self.problem(
                format!("{at}/schedule/end"),
                format!("is not after the start ({start_text}): the schedule would never be live"),
            );
        }
        (start, end)
    }

    /// Compiles a template (once per distinct source), as HTML if `html_at` says where it is
    /// used as HTML; whether it reads `offer`.
    fn template(&mut self, at: &str, src: &str, html_at: Option<&str>) -> bool {
        if let Some(template) = self.templates.get(src) {
            return reads_root(template, "offer");
        }
        let compiled = Template::compile(at, src)
            .map_err(|e| (at, e))
            .and_then(|template| match html_at {
                Some(html_at) => template.html(html_at, false).map_err(|e| (html_at, e)),
                None => Ok(template),
            });
        match compiled {
            Ok(template) => {
                let known = &self.known_partials;
                if let Some(e) = template.missing_partial(&|name| known.contains(name)) {
                    self.problem(at.to_owned(), e.brief());
                }
                self.reads.add_template(&template);
                let reads = reads_root(&template, "offer");
                if html_at.is_some() {
                    self.html_sources.insert(src.to_owned());
                }
                self.templates.insert(src.to_owned(), template);
                reads
            }
            Err((at, e)) => {
                // An HTML error is reported at the HTML field, once, whichever field meets it.
                let message = e.brief();
                if !self
                    .problems
                    .iter()
                    .any(|p| p.pointer == at && p.message == message)
                {
                    self.problem(at.to_owned(), message);
                }
                false
            }
        }
    }

    /// Gives HTML contexts to the partials HTML templates include, directly or through other
    /// partials: they are included in text and must end in text.
    fn html_partials(&mut self, partials: &mut Partials) {
        let included: BTreeSet<&str> = self
            .templates
            .iter()
            .filter(|(src, _)| self.html_sources.contains(src.as_str()))
            .flat_map(|(_, template)| template.partial_names())
            .collect();
        let mut queue: Vec<String> = included.into_iter().rev().map(str::to_owned).collect();
        let mut done = HashSet::new();
        while let Some(name) = queue.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            let Some(partial) = partials.get(&name) else {
                continue;
            };
            match partial.html(&name, true) {
                Ok(checked) => {
                    queue.extend(checked.partial_names().into_iter().rev().map(str::to_owned));
                    partials.insert(checked);
                }
                Err(e) => self.problem(pointer(&["partials", &name]), e.brief()),
            }
        }
    }

    fn activity(&mut self, at: &str, activity: &Activity) -> CompiledActivity {
        let (start, end) = self.schedule(at, &activity.schedule);
        let mut compiled = CompiledActivity {
            exhausted: false,
            paused: false,
            audience: activity
                .audience
                .as_ref()
                .and_then(|a| self.condition(&format!("{at}/audience"), a)),
            start,
            end,
            trigger: None,
            published: None,
            expires: None,
        };
        let contents = activity
            .content
            .iter()
            .map(|c| (format!("{at}/content"), c))
            .chain(activity.experiment.iter().flat_map(|e| {
                e.variants.iter().enumerate().filter_map(move |(i, v)| {
                    Some((
                        format!("{at}/experiment/variants/{i}/content"),
                        v.content.as_ref()?,
                    ))
                })
            }));
        // Every content's times and trigger are checked; the primary content's (the
        // activity's, else its first variant's: see `activities::primary_content`) apply.
        let mut primary = true;
        for (at, content) in contents.collect::<Vec<_>>() {
            let mut own = compiled.clone();
            self.content(&at, content, &mut own);
            if std::mem::take(&mut primary) {
                compiled = own;
            }
        }
        compiled
    }

    /// A content's times and trigger condition (its templates are compiled on their own).
    fn content(&mut self, at: &str, content: &Content, compiled: &mut CompiledActivity) {
        match content {
            Content::Card(card) => {
                compiled.published =
                    self.time(&format!("{at}/publishedAt"), card.published_at.as_deref());
                compiled.expires =
                    self.time(&format!("{at}/expiresAt"), card.expires_at.as_deref());
                if let (Some(published), Some(expires), Some(text)) =
                    (compiled.published, compiled.expires, &card.published_at)
                    && expires <= published
                {
                    self.problem(
                        format!("{at}/expiresAt"),
                        format!("is not after `publishedAt` ({text}): the card would never show"),
                    );
                }
            }
            Content::InApp(message) => {
                if let Trigger::Event {
                    condition: Some(condition),
                    ..
                } = &message.trigger
                {
                    compiled.trigger =
                        self.condition(&format!("{at}/trigger/condition"), condition);
                }
            }
            Content::Web { .. } | Content::Code(_) => {}
        }
    }
}

/// Whether a template may read the root key `key` (conservatively: any path starting with it).
fn reads_root(template: &Template, key: &str) -> bool {
    template
        .paths()
        .iter()
        .any(|p| p.first().is_some_and(|k| k == key))
}

/// A JSON pointer from unescaped segments.
fn pointer(segments: &[&str]) -> String {
    let mut out = String::new();
    for segment in segments {
        crate::bundle::push_pointer(&mut out, segment);
    }
    out
}

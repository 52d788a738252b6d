//! A compiled engine in the compiled bundle's binary encoding (see `crate::wire`): the bundle
//! and everything [`Engine::new`] worked out from it, so that loading one is decoding only.
//!
//! Decoded indexes are checked against the bundle before the engine decides anything: any
//! bytes give an engine whose decisions cannot index out of bounds, or an error.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use crate::bundle::Bundle;
use crate::template::{Partials, Template, Tree};
use crate::wire::{Reader, Wire, WireError, Writer, get_entries, put_entries, wire_struct};

use super::compile::{CompiledActivity, CompiledOffer, CompiledPolicy, offer_value};
use super::fields::each_template;
use super::{Engine, Names};

wire_struct!(CompiledActivity {
    exhausted,
    paused,
    audience,
    start,
    end,
    trigger,
    published,
    expires,
});
/// Without its `value`, which loading makes again from the bundle's offer.
impl Wire for CompiledOffer {
    fn put(&self, w: &mut Writer) {
        self.exhausted.put(w);
        self.paused.put(w);
        self.eligibility.put(w);
        self.eligibility_reads_offer.put(w);
        self.templates_read_offer.put(w);
        self.start.put(w);
        self.end.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(CompiledOffer {
            exhausted: Wire::get(r)?,
            paused: Wire::get(r)?,
            eligibility: Wire::get(r)?,
            eligibility_reads_offer: Wire::get(r)?,
            templates_read_offer: Wire::get(r)?,
            start: Wire::get(r)?,
            end: Wire::get(r)?,
            value: serde_json::Value::Null,
        })
    }
}
wire_struct!(CompiledPolicy {
    index,
    collection,
    formula,
    reads_offer,
    fallback,
});
wire_struct!(Names {
    offers,
    placements,
    lost_to,
    ranks,
    end,
});

impl<T: Wire> Wire for Arc<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        T::get(r).map(Arc::new)
    }
}

/// Keys in order, so that the same engine always encodes to the same bytes.
impl<V: Wire, S: BuildHasher + Default> Wire for HashMap<String, V, S> {
    fn put(&self, w: &mut Writer) {
        let mut entries: Vec<(&String, &V)> = self.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        put_entries(w, entries.into_iter());
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        get_entries(r, HashMap::default(), |map, k, v| drop(map.insert(k, v)))
    }
}

impl Wire for Engine {
    fn put(&self, w: &mut Writer) {
        self.bundle.put(w);
        self.activities.put(w);
        self.by_page.put(w);
        self.wildcards.put(w);
        self.offers.put(w);
        self.names.put(w);
        self.name_bases.put(w);
        self.activity_order.put(w);
        self.offer_order.put(w);
        self.placement_surfaces.put(w);
        self.placements_by_page.put(w);
        self.offers_by_placement.put(w);
        self.policies.put(w);
        // Each template's tree, in the order the bundle's walk first meets its source.
        let mut trees = Vec::new();
        let mut seen = std::collections::HashSet::new();
        each_template(&self.bundle, &mut |_, src, _| {
            if seen.insert(src.to_owned())
                && let Some(template) = self.templates.get(src)
            {
                trees.push(template.tree());
            }
        });
        trees.put(w);
        self.partials.put(w);
        self.channels.put(w);
        self.tables.put(w);
        self.fingerprint.put(w);
    }

    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let bundle = Bundle::get(r)?;
        let activities = Wire::get(r)?;
        let by_page = Wire::get(r)?;
        let wildcards = Wire::get(r)?;
        let offers = Wire::get(r)?;
        let names = Wire::get(r)?;
        let name_bases = Wire::get(r)?;
        let activity_order = Wire::get(r)?;
        let offer_order = Wire::get(r)?;
        let placement_surfaces = Wire::get(r)?;
        let placements_by_page = Wire::get(r)?;
        let offers_by_placement = Wire::get(r)?;
        let policies = Wire::get(r)?;
        let mut trees = Vec::<Tree>::get(r)?.into_iter();
        let mut templates = HashMap::default();
        let mut missing = false;
        each_template(&bundle, &mut |at, src, _| {
            if !templates.contains_key(src) {
                match trees.next() {
                    Some(tree) => {
                        drop(templates.insert(src.to_owned(), Template::with_tree(at, src, tree)))
                    }
                    None => missing = true,
                }
            }
        });
        if missing || trees.next().is_some() {
            return Err(r.error("templates that do not fit the bundle"));
        }
        let mut offers: Vec<CompiledOffer> = offers;
        for (compiled, offer) in offers.iter_mut().zip(&bundle.offers) {
            compiled.value = offer_value(offer);
        }
        let mut engine = Engine {
            bundle,
            activities,
            by_page,
            wildcards,
            offers,
            paths: 0,
            names,
            name_bases,
            activity_order,
            offer_order,
            placement_surfaces,
            placements_by_page,
            offers_by_placement,
            policies,
            templates,
            partials: <Partials as Wire>::get(r)?,
            channels: Wire::get(r)?,
            tables: Wire::get(r)?,
            projection: super::Projection::default(),
            fingerprint: Wire::get(r)?,
        };
        engine.number_paths();
        match engine.check() {
            Ok(()) => Ok(engine),
            Err(message) => Err(r.error(message)),
        }
    }
}

impl Engine {
    /// Numbers the paths the conditions' shortcuts read, as compiling does (equal paths,
    /// equal numbers), so that no number comes from the bytes.
    fn number_paths(&mut self) {
        let mut numbers: HashMap<String, usize> = HashMap::new();
        let mut number = |cond: &mut Option<super::Cond>| {
            if let Some(expr) = cond.as_mut().and_then(Arc::get_mut) {
                expr.number_path(|key| {
                    let next = numbers.len();
                    *numbers.entry(key).or_insert(next)
                });
            }
        };
        for activity in &mut self.activities {
            number(&mut activity.audience);
            number(&mut activity.trigger);
        }
        for offer in &mut self.offers {
            number(&mut offer.eligibility);
        }
        for policy in self.policies.values_mut() {
            number(&mut policy.collection);
            number(&mut policy.formula);
        }
        self.paths = numbers.len();
    }

    /// Whether a decoded engine's indexes fit its bundle (what decisions index with).
    fn check(&self) -> Result<(), &'static str> {
        let b = &self.bundle;
        let (activities, offers, placements) =
            (b.activities.len(), b.offers.len(), b.placements.len());
        let within = |lists: &HashMap<String, Vec<usize>, _>, len: usize| {
            lists.values().flatten().all(|&i| i < len)
        };
        let n = &self.name_bases;
        let fits = self.activities.len() == activities
            && self.offers.len() == offers
            && self.activity_order.len() == activities
            && self.offer_order.len() == offers
            && self.placement_surfaces.len() == placements
            && within(&self.by_page, activities)
            && within(&self.wildcards, activities)
            && within(&self.placements_by_page, placements)
            && within(&self.offers_by_placement, offers)
            && self
                .policies
                .values()
                .all(|p| p.index < b.policies.len() && p.fallback.is_none_or(|f| f < offers))
            && n.offers == activities
            && n.placements == n.offers + offers
            && n.lost_to == n.placements + placements
            && n.ranks == n.lost_to + activities
            && n.ranks <= n.end
            && n.end == self.names.len();
        if fits {
            Ok(())
        } else {
            Err("indexes that do not fit the bundle")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::DecideInput;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SHOP: &str = include_str!("../../../../tests/fixtures/shop/bundle.json");

    fn decode(engine: &Engine) -> Result<Engine, String> {
        let mut w = Writer::default();
        w.buf.extend_from_slice(crate::wire::MAGIC);
        engine.put(&mut w);
        Engine::from_compiled(&w.buf).map_err(|e| e.to_string())
    }

    #[test]
    fn templates_get_back_their_names_and_sources() {
        let engine = Engine::from_json(SHOP).unwrap();
        let decoded = decode(&engine).unwrap();
        assert!(!engine.templates.is_empty());
        assert_eq!(decoded.templates.len(), engine.templates.len());
        for (src, template) in &engine.templates {
            let got = &decoded.templates[src];
            assert_eq!(
                (got.name(), got.source()),
                (template.name(), template.source())
            );
        }
        for (compiled, offer) in decoded.offers.iter().zip(&engine.offers) {
            assert_eq!(compiled.value, offer.value);
        }
    }

    /// An experiment whose variants are in-app messages with their own triggers has more
    /// numbered paths than activities: loading numbers them again, whatever the count.
    #[test]
    fn variants_with_their_own_triggers_load_and_decide_alike() {
        let variant = |id: &str, path: &str| {
            serde_json::json!({"id": id, "weight": 1, "content": {
                "channel": "inApp", "layout": "modal", "html": format!("<p>{id}</p>"),
                "trigger": {"on": "event", "type": "addToCart", "condition": format!("{path} > 1")}
            }})
        };
        let bundle = serde_json::json!({
            "format": 1, "id": "b", "revision": 1,
            "activities": [{"id": "msg", "surfaces": ["web://s.example/*"], "experiment": {
                "id": "e", "variants": [
                    variant("A", "event.data.a"), variant("B", "event.data.b"),
                    variant("C", "event.data.c"), variant("D", "context.d")
                ]
            }}]
        });
        let engine = Engine::from_json(&bundle.to_string()).unwrap();
        assert!(
            engine.paths > engine.activities.len() * 2,
            "{} paths",
            engine.paths
        );
        let decoded = decode(&engine).unwrap();
        for (unit, value) in [("u1", 2), ("u2", 0), ("u3", 5), ("u4", 1)] {
            let input = serde_json::json!({
                "snapshot": {"profileId": unit, "consent": {"personalize": "in"}},
                "context": {"d": value},
                "now": 1_795_867_200_000_i64,
                "request": {"surfaces": ["web://s.example/p"], "event": {
                    "type": "addToCart", "timestamp": 1_795_867_200_000_i64,
                    "data": {"a": value, "b": value, "c": value}
                }}
            });
            let input = DecideInput::from_json(&input.to_string()).unwrap();
            let want = serde_json::to_string(&engine.decide(&input)).unwrap();
            assert_eq!(
                serde_json::to_string(&decoded.decide(&input)).unwrap(),
                want
            );
        }
    }

    #[test]
    fn indexes_outside_the_bundle_are_refused() {
        let engine = Engine::from_json(SHOP).unwrap();
        assert!(decode(&engine).is_ok());
        let activities = engine.bundle.activities.len();
        let offers = engine.bundle.offers.len();
        type Forge = fn(&mut Engine, usize, usize);
        let forgeries: [(&str, Forge); 6] = [
            ("page list", |e, a, _| {
                e.by_page.entry("forged".into()).or_default().push(a);
            }),
            ("placement offers", |e, _, o| {
                e.offers_by_placement
                    .entry("forged".into())
                    .or_default()
                    .push(o);
            }),
            ("policy", |e, _, o| {
                let policy = CompiledPolicy {
                    index: e.bundle.policies.len(),
                    collection: None,
                    formula: None,
                    reads_offer: false,
                    fallback: Some(o),
                };
                e.policies.insert("forged".into(), policy);
            }),
            ("activity order", |e, _, _| {
                e.activity_order.pop();
            }),
            ("compiled offers", |e, _, _| {
                e.offers.pop();
            }),
            ("names", |e, _, _| e.name_bases.lost_to += 1),
        ];
        for (what, forge) in forgeries {
            let mut forged = engine.clone();
            forge(&mut forged, activities, offers);
            let err = decode(&forged).unwrap_err();
            assert!(
                err.contains("indexes that do not fit the bundle"),
                "{what}: {err}"
            );
        }
    }

    /// A bundle whose templates name their locale and zone carries only those rows; one that
    /// takes its locale from data carries every row. The visitor's zone comes with the input:
    /// a decoded engine decides as the full engine does when the snapshot has its rule, and
    /// treats the zone as unknown (UTC) without it, as the full engine does an unknown zone.
    #[test]
    fn compiled_bundles_carry_the_locales_and_zones_their_templates_reach() {
        let bundle = |text: &str| {
            serde_json::json!({
                "format": 1, "id": "b", "revision": 1,
                "activities": [{"id": "a", "surfaces": ["web://s.example/*"], "content": {
                    "channel": "web",
                    "actions": [{"selector": "h1", "type": "setText", "content": text}]
                }}]
            })
            .to_string()
        };
        let literal = Engine::from_json(&bundle(
            "{{formatDate (now) \"full\" \"fr-CA\" \"Asia/Tokyo\"}} | {{formatDate (now) \"longDateTime\" \"de\"}} | {{daysUntil \"2026-12-25\"}}",
        ))
        .unwrap();
        let decoded = decode(&literal).unwrap();
        assert_eq!(
            decoded.tables.locale_tags().collect::<Vec<_>>(),
            ["fr-FR", "de-DE"]
        );
        assert_eq!(
            decoded.tables.zone_names().collect::<Vec<_>>(),
            ["asia/tokyo"]
        );
        let dynamic =
            decode(&Engine::from_json(&bundle("{{formatNumber 1234.5}}")).unwrap()).unwrap();
        assert_eq!(
            dynamic.tables.locale_tags().count(),
            crate::template::locale::LOCALES.len()
        );
        assert_eq!(dynamic.tables.zone_names().count(), 0);

        let input = |zone: Option<&str>, rule: Option<&str>| {
            let input = serde_json::json!({
                "snapshot": {"profileId": "p", "consent": {"personalize": "in"},
                             "timeZone": zone, "timeZoneRule": rule},
                "now": 1_795_908_600_000_i64, // Saturday 23:30 UTC, Sunday in Paris
                "request": {"surfaces": ["web://s.example/p"]}
            });
            DecideInput::from_json(&input.to_string()).unwrap()
        };
        let text = |engine: &Engine, input: &DecideInput| {
            let decision = serde_json::to_value(engine.decide(input)).unwrap();
            let text = &decision["propositions"][0]["content"]["actions"][0]["content"];
            text.as_str().unwrap().to_owned()
        };
        let paris = input(Some("Europe/Paris"), crate::zone_rule("Europe/Paris"));
        assert_eq!(
            text(&literal, &paris),
            "dimanche 29 novembre 2026 | 29. November 2026 00:30 | 26"
        );
        assert_eq!(text(&decoded, &paris), text(&literal, &paris));
        // Without the rule, a zone the bundle does not carry is unknown to the decoded engine,
        // which then decides as the full engine does with an unknown zone.
        let json = |engine: &Engine, input: &DecideInput| {
            serde_json::to_string(&engine.decide(input)).unwrap()
        };
        let unknown = json(&literal, &input(Some("Mars/Olympus_Mons"), None));
        assert!(
            unknown.contains("unknown time zone `Mars/Olympus_Mons`"),
            "{unknown}"
        );
        assert_eq!(
            json(&decoded, &input(Some("Europe/Paris"), None)),
            unknown.replace("Mars/Olympus_Mons", "Europe/Paris")
        );
        // A carried zone needs no rule in the input.
        let tokyo = input(Some("Asia/Tokyo"), None);
        assert_eq!(json(&decoded, &tokyo), json(&literal, &tokyo));
    }
}

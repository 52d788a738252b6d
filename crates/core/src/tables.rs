//! Where the formatting helpers and calendar rules get their data: locales (see
//! `template::locale`) and time zone rules (see `zones`).
//!
//! The built-in tables are about 59 KB of a wasm module. The full engine and the standalone
//! template API keep them ([`BuiltIn`]); a compiled bundle instead carries what its templates
//! can reach ([`Carried`], worked out when it is compiled), and the visitor's zone rule comes
//! with each decision's input (`snapshot.timeZoneRule`, which the central API fills in). So the
//! page runtime, which only loads compiled bundles, links neither table.
//!
//! What a bundle carries, so that every decision is the same as with the whole tables:
//! - locales: the row each literal `locale` argument resolves to (`en-US` for an unknown one);
//!   every row when a formatting helper takes its locale from data or from the decision's
//!   `context.locale` (any tag may arrive there);
//! - zones: the rule of each literal `timeZone` argument; every rule when a date helper takes
//!   its zone from data. The helpers' default zone is the visitor's.

use crate::template::locale::{self, Locale, LocaleData};
use crate::time::Zone;
use crate::wire::{Reader, Wire, WireError, Writer};

/// A source of locales and zone rules.
pub(crate) trait Tables {
    /// The locale for `tag`, as `template::locale::find` resolves it.
    fn locale(&self, tag: &str) -> Option<Locale<'_>>;
    /// The IANA zone `name` (case-insensitive).
    fn zone(&self, name: &str) -> Option<Zone>;
}

/// The built-in tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuiltIn;

impl Tables for BuiltIn {
    fn locale(&self, tag: &str) -> Option<Locale<'_>> {
        locale::find(tag)
    }
    fn zone(&self, name: &str) -> Option<Zone> {
        crate::zones::get(name)
    }
}

/// What a compiled engine carries: the locale rows and zone rules its templates can reach.
#[derive(Debug, Clone, Default)]
pub(crate) struct Carried {
    /// In the built-in table's order (language fallback takes the first row of a language).
    locales: Vec<LocaleData>,
    /// `(lower-case name, POSIX rule)`, sorted by name.
    zones: Vec<(Box<str>, Box<str>)>,
    /// Zones not carried, for an engine compiled here (the full engine); `None` in one
    /// decoded from a compiled bundle, whose visitor's zone comes with the input.
    built_in_zones: Option<fn(&str) -> Option<Zone>>,
}

impl Carried {
    /// The entries `locales` and `zones` (literal names) resolve to, or every entry where
    /// `all_*` is set.
    pub(crate) fn new<'a>(
        locales: impl Iterator<Item = &'a str>,
        all_locales: bool,
        zones: impl Iterator<Item = &'a str>,
        all_zones: bool,
    ) -> Carried {
        let mut tags: Vec<&str> = Vec::new();
        for tag in locales {
            tags.push(locale::find(tag).map_or(locale::FALLBACK, |l| l.tag));
        }
        let rows = locale::LOCALES.iter();
        let locales = rows
            .filter(|l| all_locales || tags.contains(&l.tag))
            .map(LocaleData::new)
            .collect();
        let mut carried: Vec<(Box<str>, Box<str>)> = if all_zones {
            crate::zones::all()
                .map(|(name, rule)| (name.into(), rule.into()))
                .collect()
        } else {
            zones
                .filter_map(|name| {
                    let name = name.to_ascii_lowercase();
                    let rule = crate::zones::find(&name)?;
                    Some((name.into(), rule.into()))
                })
                .collect()
        };
        carried.sort();
        carried.dedup();
        Carried {
            locales,
            zones: carried,
            built_in_zones: Some(crate::zones::get),
        }
    }

    /// The carried locale rows' tags.
    #[cfg(test)]
    pub(crate) fn locale_tags(&self) -> impl Iterator<Item = &str> {
        self.locales
            .iter()
            .filter_map(|l| l.locale())
            .map(|l| l.tag)
    }

    /// The carried zones' names (lower case).
    #[cfg(test)]
    pub(crate) fn zone_names(&self) -> impl Iterator<Item = &str> {
        self.zones.iter().map(|(name, _)| &**name)
    }

    /// Whether the zones are sorted and unique (what lookups rely on).
    pub(crate) fn is_sorted(&self) -> bool {
        self.zones.windows(2).all(|w| w[0].0 < w[1].0)
    }

    /// These tables with the visitor's zone `name`, given by `rule` when the input has one.
    pub(crate) fn with_visitor<'a>(
        &'a self,
        name: Option<&'a str>,
        rule: Option<&'a str>,
    ) -> ForDecision<'a> {
        ForDecision {
            carried: self,
            visitor: name.zip(rule),
        }
    }

    fn zone(&self, name: &str) -> Option<Zone> {
        if name.eq_ignore_ascii_case("UTC") {
            return Some(Zone::UTC);
        }
        let lower = name.to_ascii_lowercase();
        match self.zones.binary_search_by(|(n, _)| (**n).cmp(&lower)) {
            Ok(i) => self.zones.get(i).and_then(|(_, rule)| Zone::posix(rule)),
            Err(_) => self.built_in_zones.and_then(|get| get(name)),
        }
    }
}

/// A decision's tables: the engine's, plus the visitor's zone rule from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForDecision<'a> {
    carried: &'a Carried,
    visitor: Option<(&'a str, &'a str)>,
}

impl Tables for ForDecision<'_> {
    fn locale(&self, tag: &str) -> Option<Locale<'_>> {
        locale::find_in(
            self.carried.locales.iter().filter_map(LocaleData::locale),
            tag,
        )
    }
    fn zone(&self, name: &str) -> Option<Zone> {
        match self.visitor {
            Some((visitor, rule)) if visitor.eq_ignore_ascii_case(name) => Zone::posix(rule),
            _ => self.carried.zone(name),
        }
    }
}

impl Wire for Carried {
    fn put(&self, w: &mut Writer) {
        self.locales.put(w);
        self.zones.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let carried = Carried {
            locales: Wire::get(r)?,
            zones: Wire::get(r)?,
            built_in_zones: None,
        };
        if !carried.is_sorted() {
            return Err(r.error("zones out of order"));
        }
        Ok(carried)
    }
}

/// The POSIX TZ rule the engine uses for the IANA zone `name` (case-insensitive), if it knows
/// the zone: what the central API serves to runtimes that carry no zone table.
pub fn zone_rule(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("UTC") {
        return Some("UTC0");
    }
    crate::zones::find(&name.to_ascii_lowercase())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn literal_names_carry_only_what_they_resolve_to() {
        let carried = Carried::new(
            ["fr-CA", "de_DE", "xx-YY"].into_iter(),
            false,
            ["Europe/Paris", "asia/tokyo", "Mars/Olympus", "UTC"].into_iter(),
            false,
        );
        // fr-CA resolves to fr-FR, an unknown tag to the en-US fallback; table order kept.
        assert_eq!(
            carried.locale_tags().collect::<Vec<_>>(),
            ["en-US", "fr-FR", "de-DE"]
        );
        assert_eq!(
            carried.zone_names().collect::<Vec<_>>(),
            ["asia/tokyo", "europe/paris", "utc"]
        );
        let everything = Carried::new([].into_iter(), true, [].into_iter(), true);
        assert_eq!(everything.locale_tags().count(), locale::LOCALES.len());
        assert_eq!(everything.zone_names().count(), crate::zones::all().count());
    }

    /// A decoded engine's tables give what the built-in ones give for every name they carry,
    /// and nothing (an unknown zone) for a zone they do not, unless the input brings its rule.
    #[test]
    fn decoded_tables_agree_with_the_built_in_ones() {
        let carried = Carried::new(
            ["fr-CA", "ja"].into_iter(),
            false,
            ["Europe/Paris"].into_iter(),
            false,
        );
        let mut w = Writer::default();
        carried.put(&mut w);
        let decoded = Carried::get(&mut Reader::new(&w.buf)).unwrap();
        let tables = decoded.with_visitor(Some("America/New_York"), Some("EST5EDT,M3.2.0,M11.1.0"));
        for tag in ["fr-CA", "fr", "ja-JP", "JA", "xx", "en-US"] {
            let want = BuiltIn.locale(tag).map(|l| l.fields().collect::<Vec<_>>());
            let got = tables.locale(tag).map(|l| l.fields().collect::<Vec<_>>());
            if tag == "xx" || tag == "en-US" {
                assert_eq!(got, None, "{tag}: not carried");
            } else {
                assert_eq!(got, want, "{tag}");
            }
        }
        for zone in [
            "europe/paris",
            "UTC",
            "America/New_York",
            "america/new_york",
        ] {
            assert_eq!(tables.zone(zone), BuiltIn.zone(zone), "{zone}");
        }
        assert_eq!(tables.zone("Asia/Tokyo"), None);
        assert!(
            decoded
                .with_visitor(None, None)
                .zone("Asia/Tokyo")
                .is_none()
        );
        // The engine compiled here falls back to the built-in zones.
        assert_eq!(
            carried.with_visitor(None, None).zone("Asia/Tokyo"),
            BuiltIn.zone("Asia/Tokyo")
        );
    }

    #[test]
    fn zone_rules_are_the_tables() {
        assert_eq!(
            zone_rule("Europe/Paris"),
            Some("CET-1CEST,M3.5.0,M10.5.0/3")
        );
        assert_eq!(zone_rule("europe/PARIS"), zone_rule("Europe/Paris"));
        assert_eq!(Zone::posix(zone_rule("utc").unwrap()), Some(Zone::UTC));
        assert_eq!(zone_rule("Mars/Olympus_Mons"), None);
    }

    #[test]
    fn forged_tables_are_refused() {
        let mut w = Writer::default();
        Vec::<LocaleData>::new().put(&mut w);
        vec![
            (Box::<str>::from("b"), Box::<str>::from("UTC0")),
            ("a".into(), "UTC0".into()),
        ]
        .put(&mut w);
        assert!(Carried::get(&mut Reader::new(&w.buf)).is_err());
        let mut w = Writer::default();
        vec![(true, vec![Box::<str>::from("en-US")])].put(&mut w);
        Vec::<(Box<str>, Box<str>)>::new().put(&mut w);
        assert!(Carried::get(&mut Reader::new(&w.buf)).is_err());
    }
}

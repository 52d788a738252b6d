//! Time zones by IANA name, from a table generated at build time (build.rs): each zone's POSIX
//! TZ rule, i.e. the rule the tz database gives for times after the zone's last listed change.
//!
//! The whole database would add about 85 KB (gzip) to every wasm build; the rules take a
//! fraction of that and give the same offsets for the present and the future, which is what
//! decisions, caps, quiet hours and date helpers are about. The price: a date before a zone's
//! last rule change (for New York, 2007) is placed with today's rule, so it may be an hour off
//! around that era's daylight-saving changes. Every runtime uses this same table, so native,
//! browser and Worker decisions agree whatever the date.

use crate::time::Zone;

include!(concat!(env!("OUT_DIR"), "/zones.rs"));

/// The zone called `name` (case-insensitive), if the table has it.
pub(crate) fn get(name: &str) -> Option<Zone> {
    if name.eq_ignore_ascii_case("UTC") {
        return Some(Zone::UTC);
    }
    Zone::posix(find(&name.to_ascii_lowercase())?)
}

/// The rule of `name` (lower case): a binary search over the table's lines, each probe moving
/// back to the start of the line it lands in.
pub(crate) fn find(name: &str) -> Option<&'static str> {
    let bytes = ZONES.as_bytes();
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        let (zone, rule) = ZONES.get(start..end)?.split_once(' ')?;
        match zone.cmp(name) {
            std::cmp::Ordering::Equal => return Some(rule),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
}

/// Every `(name, rule)` in the table.
pub(crate) fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    ZONES.lines().filter_map(|line| line.split_once(' '))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::time::parse_rfc3339;

    fn offset_hours(zone: &str, at: &str) -> i32 {
        let tz = get(zone).unwrap();
        tz.offset_at(parse_rfc3339(at).unwrap() / 1000) / 3600
    }

    #[test]
    fn the_table_has_the_world_and_its_rules() {
        let zones: Vec<_> = all().collect();
        assert!(zones.len() > 500, "{}", zones.len());
        assert!(zones.windows(2).all(|w| w[0].0 < w[1].0));
        // Every zone is found by the search, and nothing else is.
        assert!(zones.iter().all(|(name, rule)| find(name) == Some(rule)));
        for absent in ["", "a", "africa", "zulu/nowhere", "africa/abidjan ", "~"] {
            assert_eq!(find(absent), None, "{absent}");
        }
        // Daylight saving in New York (second Sunday of March to first Sunday of November).
        assert_eq!(offset_hours("America/New_York", "2026-01-15T12:00:00Z"), -5);
        assert_eq!(offset_hours("America/New_York", "2026-07-15T12:00:00Z"), -4);
        assert_eq!(offset_hours("america/new_york", "2026-03-08T06:59:59Z"), -5);
        assert_eq!(offset_hours("America/New_York", "2026-03-08T07:00:00Z"), -4);
        // The southern hemisphere, a zone without daylight saving, and half hours.
        assert_eq!(offset_hours("Australia/Sydney", "2026-01-15T00:00:00Z"), 11);
        assert_eq!(offset_hours("Asia/Tokyo", "2026-07-15T00:00:00Z"), 9);
        let kolkata = get("Asia/Kolkata").unwrap();
        let at = parse_rfc3339("2026-07-15T00:00:00Z").unwrap() / 1000;
        assert_eq!(kolkata.offset_at(at), 19_800);
        // Links resolve like their targets.
        assert_eq!(offset_hours("US/Eastern", "2026-07-15T12:00:00Z"), -4);
        assert_eq!(offset_hours("UTC", "2026-07-15T12:00:00Z"), 0);
    }

    #[test]
    fn unknown_names_are_none() {
        assert!(get("Mars/Olympus_Mons").is_none());
        assert!(get("").is_none());
    }
}

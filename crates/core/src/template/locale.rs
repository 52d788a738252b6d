//! A small, documented locale table (no ICU): number separators, currency placement, month and
//! weekday names and date styles for the locales marketers use most. Lookup is
//! case-insensitive, accepts `_` for `-`, and maps a bare language (`fr`) or an unknown region
//! (`fr-CA`) to the table's locale for that language. Anything else falls back to `en-US` with
//! a diagnostic.
//!
//! | tag | 1234567.891 | currency | long date |
//! | --- | --- | --- | --- |
//! | en-US | 1,234,567.89 | $1,234.50 | March 5, 2026 |
//! | en-GB | 1,234,567.89 | £1,234.50 | 5 March 2026 |
//! | fr-FR | 1 234 567,89 (U+202F) | 1 234,50 € | 5 mars 2026 |
//! | de-DE | 1.234.567,89 | 1.234,50 € | 5. März 2026 |
//! | es-ES | 1.234.567,89 | 1.234,50 € | 5 de marzo de 2026 |
//! | it-IT | 1.234.567,89 | 1.234,50 € | 5 marzo 2026 |
//! | nl-NL | 1.234.567,89 | € 1.234,50 | 5 maart 2026 |
//! | pt-BR | 1.234.567,89 | R$ 1.234,50 | 5 de março de 2026 |
//! | ja-JP | 1,234,567.89 | ¥1,235 | 2026年3月5日 |
//!
//! The space between amount and currency symbol is U+00A0 (no-break space).
//!
//! The full engine and the standalone template API read this table; a compiled bundle carries
//! the rows its templates can reach instead (see `crate::tables`), as [`LocaleData`].

use crate::wire::{Reader, Wire, WireError, Writer};

/// One row of the table, borrowed from the built-in table or from a compiled bundle's copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Locale<'a> {
    pub tag: &'a str,
    pub decimal: &'a str,
    pub group: &'a str,
    /// Whether the currency symbol goes before the amount.
    pub currency_first: bool,
    /// Between symbol and amount: `""` or a no-break space.
    pub currency_space: &'a str,
    pub months: [&'a str; 12],
    pub months_short: [&'a str; 12],
    /// Monday first.
    pub days: [&'a str; 7],
    pub days_short: [&'a str; 7],
    pub am_pm: [&'a str; 2],
    /// Date patterns for the styles `short`, `medium`, `long`, `full`.
    pub date_styles: [&'a str; 4],
    /// Time pattern, appended for the `*Time` styles (`shortTime`...).
    pub time: &'a str,
}

const NBSP: &str = "\u{a0}";
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_MONTHS_SHORT: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const EN_DAYS_SHORT: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const JA_MONTHS: [&str; 12] = [
    "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
];

pub(crate) static LOCALES: [Locale<'static>; 9] = [
    Locale {
        tag: "en-US",
        decimal: ".",
        group: ",",
        currency_first: true,
        currency_space: "",
        months: EN_MONTHS,
        months_short: EN_MONTHS_SHORT,
        days: EN_DAYS,
        days_short: EN_DAYS_SHORT,
        am_pm: ["AM", "PM"],
        date_styles: [
            "M/d/yy",
            "MMM d, yyyy",
            "MMMM d, yyyy",
            "EEEE, MMMM d, yyyy",
        ],
        time: "h:mm a",
    },
    Locale {
        tag: "en-GB",
        decimal: ".",
        group: ",",
        currency_first: true,
        currency_space: "",
        months: EN_MONTHS,
        months_short: EN_MONTHS_SHORT,
        days: EN_DAYS,
        days_short: EN_DAYS_SHORT,
        am_pm: ["am", "pm"],
        date_styles: [
            "dd/MM/yyyy",
            "d MMM yyyy",
            "d MMMM yyyy",
            "EEEE d MMMM yyyy",
        ],
        time: "HH:mm",
    },
    Locale {
        tag: "fr-FR",
        decimal: ",",
        group: "\u{202f}",
        currency_first: false,
        currency_space: NBSP,
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        months_short: [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ],
        days: [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
        days_short: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
        am_pm: ["AM", "PM"],
        date_styles: [
            "dd/MM/yyyy",
            "d MMM yyyy",
            "d MMMM yyyy",
            "EEEE d MMMM yyyy",
        ],
        time: "HH:mm",
    },
    Locale {
        tag: "de-DE",
        decimal: ",",
        group: ".",
        currency_first: false,
        currency_space: NBSP,
        months: [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        months_short: [
            "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
            "Dez.",
        ],
        days: [
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ],
        days_short: ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
        am_pm: ["AM", "PM"],
        date_styles: [
            "dd.MM.yy",
            "dd.MM.yyyy",
            "d. MMMM yyyy",
            "EEEE, d. MMMM yyyy",
        ],
        time: "HH:mm",
    },
    Locale {
        tag: "es-ES",
        decimal: ",",
        group: ".",
        currency_first: false,
        currency_space: NBSP,
        months: [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        months_short: [
            "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
        ],
        days: [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ],
        days_short: ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
        am_pm: ["a. m.", "p. m."],
        date_styles: [
            "d/M/yy",
            "d MMM yyyy",
            "d 'de' MMMM 'de' yyyy",
            "EEEE, d 'de' MMMM 'de' yyyy",
        ],
        time: "H:mm",
    },
    Locale {
        tag: "it-IT",
        decimal: ",",
        group: ".",
        currency_first: false,
        currency_space: NBSP,
        months: [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
        months_short: [
            "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
        ],
        days: [
            "lunedì",
            "martedì",
            "mercoledì",
            "giovedì",
            "venerdì",
            "sabato",
            "domenica",
        ],
        days_short: ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
        am_pm: ["AM", "PM"],
        date_styles: ["dd/MM/yy", "d MMM yyyy", "d MMMM yyyy", "EEEE d MMMM yyyy"],
        time: "HH:mm",
    },
    Locale {
        tag: "nl-NL",
        decimal: ",",
        group: ".",
        currency_first: true,
        currency_space: NBSP,
        months: [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        months_short: [
            "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
        ],
        days: [
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
            "zaterdag",
            "zondag",
        ],
        days_short: ["ma", "di", "wo", "do", "vr", "za", "zo"],
        am_pm: ["a.m.", "p.m."],
        date_styles: [
            "dd-MM-yyyy",
            "d MMM yyyy",
            "d MMMM yyyy",
            "EEEE d MMMM yyyy",
        ],
        time: "HH:mm",
    },
    Locale {
        tag: "pt-BR",
        decimal: ",",
        group: ".",
        currency_first: true,
        currency_space: NBSP,
        months: [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        months_short: [
            "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
            "dez.",
        ],
        days: [
            "segunda-feira",
            "terça-feira",
            "quarta-feira",
            "quinta-feira",
            "sexta-feira",
            "sábado",
            "domingo",
        ],
        days_short: ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
        am_pm: ["AM", "PM"],
        date_styles: [
            "dd/MM/yyyy",
            "d 'de' MMM 'de' yyyy",
            "d 'de' MMMM 'de' yyyy",
            "EEEE, d 'de' MMMM 'de' yyyy",
        ],
        time: "HH:mm",
    },
    Locale {
        tag: "ja-JP",
        decimal: ".",
        group: ",",
        currency_first: true,
        currency_space: "",
        months: JA_MONTHS,
        months_short: JA_MONTHS,
        days: [
            "月曜日",
            "火曜日",
            "水曜日",
            "木曜日",
            "金曜日",
            "土曜日",
            "日曜日",
        ],
        days_short: ["月", "火", "水", "木", "金", "土", "日"],
        am_pm: ["午前", "午後"],
        date_styles: [
            "yyyy/MM/dd",
            "yyyy/MM/dd",
            "yyyy年M月d日",
            "yyyy年M月d日EEEE",
        ],
        time: "H:mm",
    },
];

/// How many text fields a row has: tag, decimal, group, currency space, 12 + 12 month names,
/// 7 + 7 day names, AM/PM, 4 date styles, time.
const FIELDS: usize = 4 + 12 + 12 + 7 + 7 + 2 + 4 + 1;

impl<'a> Locale<'a> {
    /// The row's text fields, in the order [`Locale::from_fields`] reads them.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &'a str> {
        [self.tag, self.decimal, self.group, self.currency_space]
            .into_iter()
            .chain(self.months)
            .chain(self.months_short)
            .chain(self.days)
            .chain(self.days_short)
            .chain(self.am_pm)
            .chain(self.date_styles)
            .chain([self.time])
    }

    /// A row from its text fields; `None` unless there are exactly [`FIELDS`].
    fn from_fields(currency_first: bool, fields: &'a [Box<str>]) -> Option<Locale<'a>> {
        fn array<const N: usize>(fields: &[Box<str>], at: usize) -> [&str; N] {
            std::array::from_fn(|i| fields.get(at + i).map_or("", |s| &**s))
        }
        let f = |i: usize| fields.get(i).map_or("", |s| &**s);
        (fields.len() == FIELDS).then(|| Locale {
            tag: f(0),
            decimal: f(1),
            group: f(2),
            currency_first,
            currency_space: f(3),
            months: array(fields, 4),
            months_short: array(fields, 16),
            days: array(fields, 28),
            days_short: array(fields, 35),
            am_pm: array(fields, 42),
            date_styles: array(fields, 44),
            time: f(48),
        })
    }
}

/// A row as a compiled bundle carries it: owned text, checked for its field count on load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocaleData {
    currency_first: bool,
    fields: Vec<Box<str>>,
}

impl LocaleData {
    pub(crate) fn new(locale: &Locale<'_>) -> LocaleData {
        LocaleData {
            currency_first: locale.currency_first,
            fields: locale.fields().map(Box::from).collect(),
        }
    }

    /// The row, borrowed (always `Some` for data made by [`LocaleData::new`] or decoded).
    pub(crate) fn locale(&self) -> Option<Locale<'_>> {
        Locale::from_fields(self.currency_first, &self.fields)
    }
}

impl Wire for LocaleData {
    fn put(&self, w: &mut Writer) {
        self.currency_first.put(w);
        self.fields.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let data = LocaleData {
            currency_first: Wire::get(r)?,
            fields: Wire::get(r)?,
        };
        if data.fields.len() != FIELDS {
            return Err(r.error("a locale with the wrong number of fields"));
        }
        Ok(data)
    }
}

/// The locale for `tag` among `rows` (in the built-in table's order): exactly, else the first
/// row for its language.
pub(crate) fn find_in<'a, I>(rows: I, tag: &str) -> Option<Locale<'a>>
where
    I: Iterator<Item = Locale<'a>> + Clone,
{
    let tag = tag.trim().replace('_', "-");
    let lang = tag.split('-').next().unwrap_or("");
    rows.clone()
        .find(|l| l.tag.eq_ignore_ascii_case(&tag))
        .or_else(|| {
            rows.into_iter().find(|l| {
                l.tag
                    .split('-')
                    .next()
                    .is_some_and(|x| x.eq_ignore_ascii_case(lang))
            })
        })
}

/// The built-in table's row for `tag`, if it has one (exactly, or for its language).
pub(crate) fn find(tag: &str) -> Option<Locale<'static>> {
    find_in(LOCALES.iter().copied(), tag)
}

/// The tag unknown tags fall back to.
pub(crate) const FALLBACK: &str = "en-US";

/// The error of a helper given no locale data at all (a forged compiled bundle).
pub(crate) fn no_locale(tag: &str) -> String {
    format!("no locale data for `{tag}`")
}

/// The locale for `tag` from `tables`; unknown tags fall back to `en-US` and push a warning.
pub(crate) fn resolve<'t>(
    tables: &'t dyn crate::tables::Tables,
    tag: &str,
    warnings: &mut Vec<String>,
) -> Option<Locale<'t>> {
    match tables.locale(tag) {
        Some(l) => Some(l),
        None => {
            warnings.push(format!("unknown locale `{tag}`, using en-US"));
            tables.locale(FALLBACK)
        }
    }
}

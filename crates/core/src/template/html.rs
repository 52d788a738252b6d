//! Where each value of an HTML template lands, decided when the template compiles.
//!
//! Escaping every value for HTML text is not enough inside markup: `<a href="{{x}}">` with
//! `x = javascript:alert(1)` runs script, so does `alt={{x}}` with `x = x onerror=alert(1)`,
//! and data inside `<script>` or `<style>` is code. [`annotate`] runs an HTML tokenizer (the
//! states of the WHATWG tokenizer that matter here) over the template's literal text, through
//! its blocks, and gives each `{{…}}` the context it is in:
//!
//! * text (also inside `<title>` and `<textarea>`): escaped as HTML text ([`Ctx::Text`]);
//! * a quoted attribute value: escaped for attributes, quotes included ([`Ctx::Attribute`]);
//! * a URL attribute ([`URL_ATTRIBUTES`]) where the value could start the URL (nothing but
//!   whitespace and values before it, no literal `/`, `?`, `#` or `:` yet): the value must
//!   pass the URL check on its own, else it renders as [`UNSAFE_URL`](super::UNSAFE_URL)
//!   ([`Ctx::Url`]); after a literal `/`, `?`, `#` or scheme it is an attribute value.
//!
//! Everywhere else a value is a compile error ([`ErrorKind::UnsafeHtmlContext`]): unquoted
//! attribute values, event handlers (`on*`), `style`, `srcdoc` and `<meta content>`, tag and
//! attribute names, comments, the bodies of `<script>`, `<style>` and the other raw-text
//! elements, anything inside `<svg>` or `<math>`, and a literal `:` after a value at the start
//! of a URL (the value would choose the scheme). Raw output (`{{{x}}}`, `{{& x}}`) is allowed in
//! text only. A partial may be included in text only, and a partial checked as HTML must end in
//! text. A block (`{{#if}}`, `{{#each}}`, sections...) must leave every branch in the same
//! context, except that branches inside one tag may end in different attributes (`<input
//! {{#if on}}checked{{/if}}>`): after them an attribute name is unknown, so a value in the
//! next attribute value is refused.

use std::mem;

use super::ast::{Node, PartialKind};
use super::error::{ErrorKind, TemplateError};

/// Where a `{{…}}` lands in HTML. Used only when rendering with [`Escape::Html`](super::Escape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Ctx {
    /// Text content, or a template that was not checked as HTML: the render's escaping.
    #[default]
    Text,
    /// A quoted attribute value.
    Attribute,
    /// The start of a quoted URL attribute value: checked, then escaped as an attribute.
    Url,
}

crate::wire::wire_enum!(Ctx {
    0 => Text,
    1 => Attribute,
    2 => Url,
});

/// Attributes whose values are URLs (HTML and SVG).
pub const URL_ATTRIBUTES: [&str; 17] = [
    "action",
    "background",
    "cite",
    "codebase",
    "data",
    "formaction",
    "href",
    "icon",
    "longdesc",
    "manifest",
    "ping",
    "poster",
    "profile",
    "src",
    "srcset",
    "usemap",
    "xlink:href",
];

/// Elements whose content is raw text (no markup inside): values there are refused.
const RAW_TEXT: [&str; 8] = [
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// Elements whose content is escapable raw text: values there are escaped as text.
const RCDATA: [&str; 2] = ["title", "textarea"];

/// How much of a URL attribute value is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UrlPart {
    /// The scheme is not decided yet; `seen` if a value came before.
    Start { seen: bool },
    /// A literal scheme, `/`, `?` or `#` came first: values are path, query or fragment.
    After,
    /// A literal character reference came first (`&#106;`): values are refused.
    Entity,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Text,
    /// After `<`.
    TagOpen,
    /// After `</`.
    EndTagOpen,
    /// After `<!`: what of `--` or `[CDATA[` has been read.
    Declaration(String),
    /// In a comment; `dashes` just read, and whether `--!` was.
    Comment {
        dashes: u8,
        bang: bool,
    },
    /// `<?…>`, `<!…>`, `</…>` that is not an end tag: until `>`.
    Bogus,
    /// `<![CDATA[…]]>` in `<svg>` or `<math>`; `brackets` just read.
    Cdata {
        brackets: u8,
    },
    /// In the content of a raw-text or RCDATA element; `matched` counts what of `</name` was read.
    Raw {
        elem: Box<str>,
        rcdata: bool,
        matched: usize,
    },
    TagName(Tag),
    /// Before an attribute name, after a value, or after `/`.
    BeforeAttr(Tag),
    /// `None` when branches ended in different attributes.
    AttrName(Tag, Option<String>),
    AfterAttrName(Tag, Option<String>),
    BeforeValue(Tag, Option<String>),
    Value {
        tag: Tag,
        attr: Option<String>,
        quote: Option<char>,
        url: UrlPart,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tag {
    name: String,
    end: bool,
    slash: bool,
}

/// A tokenizer position: the state and how many `<svg>` / `<math>` elements are open.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pos {
    state: State,
    foreign: u32,
}

impl Pos {
    const TEXT: Pos = Pos {
        state: State::Text,
        foreign: 0,
    };

    /// The tag, between its attributes (not before a value: `"` would open it there only).
    fn in_tag(&self) -> Option<&Tag> {
        match &self.state {
            State::BeforeAttr(t) | State::AttrName(t, _) | State::AfterAttrName(t, _) => Some(t),
            _ => None,
        }
    }

    /// Reads literal text. `Err` when a literal `:` or `&` follows a value at the start of a
    /// URL: the byte offset of that character within `text`.
    fn read(&mut self, text: &str) -> Result<(), usize> {
        for (i, c) in text.char_indices() {
            self.step(c).map_err(|()| i)?;
        }
        Ok(())
    }

    fn step(&mut self, c: char) -> Result<(), ()> {
        let state = mem::replace(&mut self.state, State::Text);
        self.state = match state {
            State::Text => {
                if c == '<' {
                    State::TagOpen
                } else {
                    State::Text
                }
            }
            State::TagOpen => match c {
                '!' => State::Declaration(String::new()),
                '/' => State::EndTagOpen,
                '?' => State::Bogus,
                c if c.is_ascii_alphabetic() => State::TagName(Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: false,
                    slash: false,
                }),
                '<' => State::TagOpen,
                _ => State::Text,
            },
            State::EndTagOpen => match c {
                c if c.is_ascii_alphabetic() => State::TagName(Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: true,
                    slash: false,
                }),
                '>' => State::Text,
                _ => State::Bogus,
            },
            State::Declaration(mut seen) => {
                seen.push(c);
                if seen == "--" {
                    State::Comment {
                        dashes: 2,
                        bang: false,
                    }
                } else if seen == "[CDATA[" && self.foreign > 0 {
                    State::Cdata { brackets: 0 }
                } else if "--".starts_with(&seen) || "[CDATA[".starts_with(&seen) {
                    State::Declaration(seen)
                } else if c == '>' {
                    State::Text
                } else {
                    State::Bogus
                }
            }
            State::Comment { dashes, bang } => match c {
                '>' if dashes >= 2 || bang => State::Text,
                '-' => State::Comment {
                    dashes: dashes.saturating_add(1),
                    bang: false,
                },
                '!' if dashes >= 2 => State::Comment {
                    dashes: 0,
                    bang: true,
                },
                _ => State::Comment {
                    dashes: 0,
                    bang: false,
                },
            },
            State::Bogus => {
                if c == '>' {
                    State::Text
                } else {
                    State::Bogus
                }
            }
            State::Cdata { brackets } => match c {
                ']' => State::Cdata {
                    brackets: brackets.saturating_add(1).min(2),
                },
                '>' if brackets >= 2 => State::Text,
                _ => State::Cdata { brackets: 0 },
            },
            State::Raw {
                elem,
                rcdata,
                matched,
            } => raw(elem, rcdata, matched, c),
            State::TagName(mut tag) => match c {
                c if is_space(c) => State::BeforeAttr(tag),
                '/' => {
                    tag.slash = true;
                    State::BeforeAttr(tag)
                }
                '>' => self.end_tag(tag),
                c => {
                    tag.name.push(c.to_ascii_lowercase());
                    State::TagName(tag)
                }
            },
            State::BeforeAttr(mut tag) => match c {
                // `<svg/ >` is not self-closing.
                c if is_space(c) => {
                    tag.slash = false;
                    State::BeforeAttr(tag)
                }
                '/' => {
                    tag.slash = true;
                    State::BeforeAttr(tag)
                }
                '>' => self.end_tag(tag),
                c => {
                    tag.slash = false;
                    State::AttrName(tag, Some(c.to_ascii_lowercase().to_string()))
                }
            },
            State::AttrName(mut tag, mut name) => match c {
                c if is_space(c) => State::AfterAttrName(tag, name),
                '/' => {
                    tag.slash = true;
                    State::BeforeAttr(tag)
                }
                '=' => State::BeforeValue(tag, name),
                '>' => self.end_tag(tag),
                c => {
                    if let Some(name) = &mut name {
                        name.push(c.to_ascii_lowercase());
                    }
                    State::AttrName(tag, name)
                }
            },
            State::AfterAttrName(mut tag, name) => match c {
                c if is_space(c) => State::AfterAttrName(tag, name),
                '/' => {
                    tag.slash = true;
                    State::BeforeAttr(tag)
                }
                '=' => State::BeforeValue(tag, name),
                '>' => self.end_tag(tag),
                c => State::AttrName(tag, Some(c.to_ascii_lowercase().to_string())),
            },
            State::BeforeValue(tag, attr) => match c {
                c if is_space(c) => State::BeforeValue(tag, attr),
                '"' | '\'' => State::Value {
                    tag,
                    attr,
                    quote: Some(c),
                    url: UrlPart::Start { seen: false },
                },
                '>' => self.end_tag(tag),
                _ => State::Value {
                    tag,
                    attr,
                    quote: None,
                    url: UrlPart::After,
                },
            },
            State::Value {
                tag,
                attr,
                quote: None,
                url,
            } => match c {
                c if is_space(c) => State::BeforeAttr(tag),
                '>' => self.end_tag(tag),
                _ => State::Value {
                    tag,
                    attr,
                    quote: None,
                    url,
                },
            },
            State::Value {
                tag,
                attr,
                quote: Some(q),
                url,
            } => {
                if c == q {
                    State::BeforeAttr(tag)
                } else {
                    let url = match url {
                        // A value could complete the scheme (`{{x}}:`, `{{x}}&#58;`).
                        UrlPart::Start { seen: true } if c == ':' || c == '&' => return Err(()),
                        // A character reference could hide `:` or `/` (`&#58;`), or combine
                        // with a value (`&{{x}}`): the rest of the value takes no values.
                        UrlPart::Start { seen: false } if c == '&' => UrlPart::Entity,
                        UrlPart::Start { .. } if matches!(c, '/' | '?' | '#') => UrlPart::After,
                        UrlPart::Start { seen: false } if c == ':' => UrlPart::After,
                        other => other,
                    };
                    State::Value {
                        tag,
                        attr,
                        quote: Some(q),
                        url,
                    }
                }
            }
        };
        Ok(())
    }

    /// The `>` of a tag: what its element's content is.
    fn end_tag(&mut self, tag: Tag) -> State {
        let foreign_root = tag.name == "svg" || tag.name == "math";
        if tag.end {
            if foreign_root {
                self.foreign = self.foreign.saturating_sub(1);
            }
            return State::Text;
        }
        if foreign_root && !tag.slash {
            self.foreign = self.foreign.saturating_add(1);
        }
        if self.foreign > 0 {
            return State::Text;
        }
        let rcdata = RCDATA.contains(&tag.name.as_str());
        if rcdata || RAW_TEXT.contains(&tag.name.as_str()) {
            State::Raw {
                elem: tag.name.into(),
                rcdata,
                matched: 0,
            }
        } else {
            State::Text
        }
    }

    /// The context of a value here, or why a value cannot go here.
    fn context(&self, raw: bool) -> Result<Ctx, String> {
        if self.foreign > 0 {
            return Err("values cannot go inside <svg> or <math>".into());
        }
        let ctx = match &self.state {
            State::Text => Ctx::Text,
            State::Raw {
                rcdata: true,
                matched: 0,
                ..
            } => Ctx::Text,
            State::Raw {
                elem,
                rcdata: false,
                ..
            } => return Err(format!("values cannot go inside <{elem}>")),
            State::Raw { elem, .. } => {
                return Err(format!("values cannot go in the end tag of <{elem}>"));
            }
            State::Declaration(_) | State::Comment { .. } | State::Bogus | State::Cdata { .. } => {
                return Err("values cannot go inside HTML comments".into());
            }
            State::TagOpen | State::EndTagOpen | State::TagName(_) => {
                return Err("values cannot go in a tag name".into());
            }
            State::BeforeAttr(_) | State::AttrName(..) | State::AfterAttrName(..) => {
                return Err("values cannot go in a tag's attribute names".into());
            }
            State::BeforeValue(..) | State::Value { quote: None, .. } => {
                return Err(
                    "values cannot go in unquoted attribute values: quote it (`alt=\"{{x}}\"`)"
                        .into(),
                );
            }
            State::Value {
                tag,
                attr,
                quote: Some(_),
                url,
            } => attribute_context(tag, attr.as_deref(), *url)?,
        };
        if raw && ctx != Ctx::Text {
            return Err("raw output (`{{{x}}}`, `{{& x}}`) is allowed in HTML text only".into());
        }
        Ok(ctx)
    }

    /// After a value: escaped, it changes nothing but what the start of a URL has seen (and it
    /// interrupts a partly read end tag).
    fn after_value(&mut self) {
        match &mut self.state {
            State::Value {
                url: url @ UrlPart::Start { .. },
                ..
            } => *url = UrlPart::Start { seen: true },
            State::Raw { matched, .. } => *matched = 0,
            _ => {}
        }
    }

    /// Where two branches leave the tokenizer, if they can be merged.
    fn join(&self, other: &Pos) -> Option<Pos> {
        if self == other {
            return Some(self.clone());
        }
        if self.foreign != other.foreign {
            return None;
        }
        let state = match (&self.state, &other.state) {
            (
                State::Value {
                    tag,
                    attr,
                    quote,
                    url: a,
                },
                State::Value {
                    tag: tag2,
                    attr: attr2,
                    quote: quote2,
                    url: b,
                },
            ) if tag == tag2 && attr == attr2 && quote == quote2 => State::Value {
                tag: tag.clone(),
                attr: attr.clone(),
                quote: *quote,
                url: match (a, b) {
                    (UrlPart::After, UrlPart::After) => UrlPart::After,
                    (UrlPart::Start { seen: s1 }, UrlPart::Start { seen: s2 }) => {
                        UrlPart::Start { seen: *s1 || *s2 }
                    }
                    (UrlPart::Entity, _) | (_, UrlPart::Entity) => return None,
                    _ => UrlPart::Start { seen: true },
                },
            },
            _ => {
                let (a, b) = (self.in_tag()?, other.in_tag()?);
                if a.name != b.name || a.end != b.end {
                    return None;
                }
                let tag = Tag {
                    slash: false,
                    ..a.clone()
                };
                State::AttrName(tag, None)
            }
        };
        Some(Pos {
            state,
            foreign: self.foreign,
        })
    }

    fn describe(&self) -> &'static str {
        match self.state {
            State::Text => "text",
            State::Raw { rcdata: true, .. } => "<title> or <textarea> text",
            State::Raw { .. } => "a raw-text element",
            State::Declaration(_) | State::Comment { .. } | State::Bogus | State::Cdata { .. } => {
                "a comment"
            }
            State::TagOpen | State::EndTagOpen | State::TagName(_) => "a tag name",
            State::BeforeAttr(_) | State::AttrName(..) | State::AfterAttrName(..) => "a tag",
            State::BeforeValue(..) | State::Value { .. } => "an attribute value",
        }
    }
}

fn raw(elem: Box<str>, rcdata: bool, matched: usize, c: char) -> State {
    let keep = |matched| State::Raw {
        elem: elem.clone(),
        rcdata,
        matched,
    };
    // `plaintext` never ends.
    if &*elem == "plaintext" {
        return keep(0);
    }
    let next = match matched {
        0 => usize::from(c == '<'),
        1 if c == '/' => 2,
        1 => usize::from(c == '<'),
        n => {
            let at = n - 2;
            match elem.as_bytes().get(at) {
                Some(&b) if c.to_ascii_lowercase() == char::from(b) => n + 1,
                Some(_) => usize::from(c == '<'),
                None if is_space(c) || c == '/' || c == '>' => {
                    let tag = Tag {
                        name: elem.to_string(),
                        end: true,
                        slash: false,
                    };
                    return if c == '>' {
                        State::Text
                    } else {
                        State::BeforeAttr(tag)
                    };
                }
                None => usize::from(c == '<'),
            }
        }
    };
    keep(next)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// The context of a value in a quoted attribute value.
fn attribute_context(tag: &Tag, attr: Option<&str>, url: UrlPart) -> Result<Ctx, String> {
    let Some(attr) = attr else {
        return Err(
            "values cannot go in this attribute: the branches before it leave its name unknown"
                .into(),
        );
    };
    if tag.end {
        return Err("values cannot go in an end tag".into());
    }
    if attr.starts_with("on") {
        return Err(format!(
            "values cannot go in the event handler attribute `{attr}`"
        ));
    }
    if attr == "style" || attr == "srcdoc" || (tag.name == "meta" && attr == "content") {
        return Err(format!("values cannot go in the `{attr}` attribute"));
    }
    if URL_ATTRIBUTES.contains(&attr) {
        return match url {
            UrlPart::Start { .. } => Ok(Ctx::Url),
            UrlPart::After => Ok(Ctx::Attribute),
            UrlPart::Entity => Err(format!(
                "values cannot follow a character reference (`&…;`) before the URL's scheme, `/`, `?` or `#` in `{attr}`"
            )),
        };
    }
    Ok(Ctx::Attribute)
}

/// A checker over one template: its name and source, for errors.
struct Checker<'a> {
    name: &'a str,
    src: &'a str,
    /// Nodes visited: a loop whose body ends elsewhere is read twice, so nested ones could
    /// multiply the work; it is bounded.
    visits: std::cell::Cell<u32>,
}

/// The most node visits one check may make (a template visits each node once or twice).
const MAX_VISITS: u32 = 1 << 20;

impl Checker<'_> {
    fn error(&self, at: u32, message: String) -> TemplateError {
        TemplateError::new(
            self.name,
            self.src,
            at as usize,
            ErrorKind::UnsafeHtmlContext(message),
        )
    }

    fn nodes(&self, nodes: &mut [Node], mut pos: Pos) -> Result<Pos, TemplateError> {
        let visits = self
            .visits
            .get()
            .saturating_add(u32::try_from(nodes.len()).unwrap_or(u32::MAX));
        self.visits.set(visits);
        if visits > MAX_VISITS {
            let m = "the template's nested blocks are too intricate to check".to_string();
            return Err(self.error(0, m));
        }
        for node in nodes {
            pos = self.node(node, pos)?;
        }
        Ok(pos)
    }

    fn node(&self, node: &mut Node, mut pos: Pos) -> Result<Pos, TemplateError> {
        match node {
            Node::Text { text, at } => {
                if let Err(offset) = pos.read(text) {
                    let message = "a `:` or `&` after a value at the start of a URL would let \
                                   the value choose the scheme"
                        .to_string();
                    let at = at.saturating_add(u32::try_from(offset).unwrap_or(u32::MAX));
                    return Err(self.error(at, message));
                }
                Ok(pos)
            }
            Node::Interp { raw, ctx, at, .. } => {
                *ctx = pos.context(*raw).map_err(|m| self.error(*at, m))?;
                pos.after_value();
                Ok(pos)
            }
            // A partial is included in text; a partial block's body renders where the partial
            // says `{{> @partial-block}}`, in text, and an inline partial's wherever it is
            // included, in text.
            Node::Partial(p) => {
                if p.kind != PartialKind::Inline && pos != Pos::TEXT {
                    let m = format!("a partial cannot be included in {}", pos.describe());
                    return Err(self.error(p.at, m));
                }
                if p.kind != PartialKind::Include {
                    self.partial_body(&mut p.body, p.at)?;
                }
                Ok(pos)
            }
            // Conditionals: each branch runs once, from here.
            Node::If {
                body,
                else_body,
                at,
                ..
            }
            | Node::With {
                body,
                else_body,
                at,
                ..
            } => {
                let a = self.nodes(body, pos.clone())?;
                let b = self.nodes(else_body, pos)?;
                self.join(&a, &b, *at)
            }
            // Loops (a section may be one): the body may run again from where it ended.
            Node::Each {
                body,
                else_body,
                at,
                ..
            }
            | Node::Section {
                body,
                else_body,
                at,
                ..
            } => {
                let end = self.nodes(body, pos.clone())?;
                let mut start = pos.clone();
                if end != pos {
                    start = self.join(&pos, &end, *at)?;
                    let again = self.nodes(body, start.clone())?;
                    if self.join(&start, &again, *at)? != start {
                        let m = "this block's body ends in a different HTML context than it \
                                 starts in"
                            .to_string();
                        return Err(self.error(*at, m));
                    }
                }
                let other = self.nodes(else_body, pos)?;
                self.join(&start, &other, *at)
            }
        }
    }

    /// A body included in text (a partial block's or an inline partial's) must end in text.
    fn partial_body(&self, body: &mut [Node], at: u32) -> Result<(), TemplateError> {
        let end = self.nodes(body, Pos::TEXT)?;
        if end != Pos::TEXT {
            let m = format!(
                "a partial's body used in HTML must end in text, not in {}",
                end.describe()
            );
            return Err(self.error(at, m));
        }
        Ok(())
    }

    fn join(&self, a: &Pos, b: &Pos, at: u32) -> Result<Pos, TemplateError> {
        a.join(b).ok_or_else(|| {
            let m = format!(
                "the branches of this block end in different HTML contexts ({} and {}): open and \
                 close tags, attributes and comments within each branch",
                a.describe(),
                b.describe()
            );
            self.error(at, m)
        })
    }
}

/// Gives every value of `nodes` its HTML context (see the module doc). `partial`: the nodes
/// are a partial, which must end in text as it started.
pub(crate) fn annotate(
    name: &str,
    src: &str,
    nodes: &mut [Node],
    partial: bool,
) -> Result<(), TemplateError> {
    let checker = Checker {
        name,
        src,
        visits: std::cell::Cell::new(0),
    };
    let end = checker.nodes(nodes, Pos::TEXT)?;
    if partial && end != Pos::TEXT {
        let at = u32::try_from(src.len()).unwrap_or(u32::MAX);
        let m = format!(
            "a partial used in HTML must end in text, not in {}",
            end.describe()
        );
        return Err(checker.error(at, m));
    }
    Ok(())
}

/// The names of the partials `nodes` include.
pub(crate) fn partials<'n>(nodes: &'n [Node], out: &mut Vec<&'n str>) {
    for node in nodes {
        match node {
            Node::Partial(p) => {
                if p.kind != PartialKind::Inline {
                    out.push(&p.name);
                }
                partials(&p.body, out);
            }
            Node::Section {
                body, else_body, ..
            }
            | Node::If {
                body, else_body, ..
            }
            | Node::Each {
                body, else_body, ..
            }
            | Node::With {
                body, else_body, ..
            } => {
                partials(body, out);
                partials(else_body, out);
            }
            Node::Text { .. } | Node::Interp { .. } => {}
        }
    }
}

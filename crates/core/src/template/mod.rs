//! Mustache/Handlebars-style templates for marketing content.
//!
//! Templates compile once, when a bundle loads, into a node tree ([`Template::compile`]) and
//! render many times against profile data ([`Template::render`]). Rendering is pure and
//! bounded: "now", the locale and the time zone come from [`RenderOptions`], and fuel, nesting
//! depth and output size are limited.
//!
//! # Syntax
//!
//! * Mustache (the whole spec core): `{{path}}` (escaped for the output context),
//!   `{{{path}}}` / `{{& path}}` (raw), sections `{{#name}}…{{/name}}` (lists iterate,
//!   objects push a context, falsey values skip), inverted sections `{{^name}}…{{/name}}`,
//!   comments `{{! … }}`, partials `{{> name}}`, set-delimiters `{{=<% %>=}}`, dotted names,
//!   the implicit iterator `.`, lookups down the context stack, standalone-line whitespace.
//! * Handlebars blocks: `{{#if x}}…{{else if y}}…{{else}}…{{/if}}`, `{{#unless x}}`,
//!   `{{#each items}}` (with `@index`, `@first`, `@last`, `@key`, `this`; over an object, in
//!   the data's key order: see [Key order](#key-order)), `{{#with obj}}`,
//!   `{{else}}` (or `{{^}}`) in all of them (and in Mustache sections). `{{#if x
//!   includeZero=true}}` (also on `#unless` and `{{else if}}`) counts a number `0` as true.
//!   An inverted helper block, `{{^if x}}…{{/if}}`, `{{^each xs}}empty{{/each}}`, is the block
//!   with its two branches swapped (`{{^if}}` with no argument stays a Mustache inverted
//!   section on the key `if`).
//! * Block parameters: `{{#each items as |item i|}}` binds `item` (the element) and `i` (its
//!   index, or its key for an object); `{{#with x as |y|}}` binds `y`. A parameter is a bare
//!   first name (`item`, `item.price`, `[item]`), it shadows the context's keys and outer
//!   parameters of the same name, and it is bound in the block's body only, not in its
//!   `{{else}}`. Names are resolved when the template compiles. `this.item`, `./item` and
//!   `../item` are context lookups, never parameters. Only `#each` (two names) and `#with`
//!   (one) take them; more names, parameters on other blocks, or a parameter inside a
//!   condition-language argument (which reads the root data) are compile errors.
//! * Paths: segments are separated by `.` or, as in Handlebars' legacy form, `/`
//!   (`a/b` is `a.b`, `this/x` is `this.x`); `[any text]` is one literal segment
//!   (`{{[foo bar]}}`, `{{arr.[0].name}}`, `{{[this]}}` is the key `this`); a numeric segment
//!   indexes an array; `length` on an array or a string is its length (a string's in UTF-16
//!   code units, as JavaScript counts; a map's own `length` key wins). `.`, `..` and `this`
//!   may only start a path (`{{text/this/foo}}` is a compile error). Paths may be `this.x`,
//!   `./x`, `../x`, `@root.x`, `@index`, `@../index`. A tag that is one literal looks up the
//!   key it spells, as in Handlebars: `{{"foo bar"}}` is `{{[foo bar]}}`, `{{12}}` reads the
//!   key `12`; a literal as a helper argument (`{{upper "x"}}`) or before a pipe
//!   (`{{"x" | upper}}`) is a value.
//! * Whitespace control: a `~` just inside a tag's delimiters removes all whitespace,
//!   newlines included, from that side of the adjacent literal text: `{{~x~}}`,
//!   `{{~#if x~}}…{{~/if~}}`, `{{~else~}}`, `{{~^~}}`, `{{~> p~}}`, `{{~{x}~}}`,
//!   `{{~! c ~}}`, `{{!-- c --~}}`. It applies after the standalone-line rule; a `~` before a
//!   standalone partial also drops the partial's indentation. `~` is never part of a name.
//! * Escapes: `\{{x}}` renders `{{x}}` literally (up to the next tag), `\\{{x}}` renders a
//!   backslash and the value (default delimiters only).
//! * Partials: `{{> name}}`, `{{> [any name]}}`, `{{> "any name"}}`; `{{> card offer}}`
//!   renders `card` with `offer` as its context, `{{> card title=x}}` with the current context
//!   plus the key `title` (both together: the value plus the keys). Partial blocks:
//!   `{{#> layout}}default{{/layout}}` renders the partial `layout`, in which
//!   `{{> @partial-block}}` renders the block's content (with the context at that tag), or,
//!   if there is no partial `layout`, the content itself as a fallback. `@partial-block` is
//!   also a condition, as the whole argument of `{{#if @partial-block}}`,
//!   `{{#unless @partial-block}}` or `{{else if @partial-block}}`: true where a partial block's
//!   content is there to render (in a partial called as `{{#> name}}…{{/name}}`, and in the
//!   partials it calls), false elsewhere; inside that content it is the enclosing partial
//!   block's. Anywhere else (`{{@partial-block}}`, a helper or partial argument, `#with`,
//!   `#each`) it is a compile error. Inline partials:
//!   `{{#*inline "row"}}…{{/inline}}` defines `row` from the start of the enclosing block (or
//!   template) to its end, including in the partials called there; it renders nothing where
//!   it is written and wins over a partial of the same name. A missing partial renders as
//!   empty with a [`DiagnosticKind::MissingPartial`] (the Mustache spec's rule); a bundle
//!   refuses, when it compiles, a `{{> name}}` naming no partial of the bundle and no inline
//!   partial ([`ErrorKind::MissingPartial`]; a partial block's content is its fallback, so
//!   `{{#> name}}` needs none). Dynamic partial names `{{> (expr)}}` and decorators other
//!   than `*inline` are compile errors.
//! * Conditions: the argument of `{{#if}}`, `{{#unless}}` and `{{else if}}` may be written in
//!   the condition language of [`crate::expr`]:
//!   `{{#if profile.tier == "gold" and cart.total > 100}}…{{else}}…{{/if}}`. An argument is an
//!   expression when, outside string literals, it holds an operator symbol (`==` `!=` `<` `<=`
//!   `>` `>=` `&&` `||` `!`) or an operator word (`and` `or` `not` `in` `contains` `startsWith`
//!   `endsWith` `matches` `exists`) that is not in a helper's place (first in the tag, or right
//!   after `(`); otherwise it is a Handlebars path, literal or helper call, so `{{#if not x}}` and
//!   `{{#if (and a b)}}` keep calling the helpers. An expression reads the render's **root** data
//!   (its paths are top-level keys, as in `@root.x`, even inside `{{#each}}`), uses
//!   [`RenderOptions::now_ms`] for `now()` and the date functions, spends the render's fuel, and
//!   reports its evaluation diagnostics as [`DiagnosticKind::Condition`]. A syntax error is a
//!   compile error ([`ErrorKind::InvalidCondition`]) located at the offending token.
//! * Helpers: `{{helper arg "literal" 3 key=value}}` and sub-expressions
//!   `{{#if (gt cart.total 100)}}`. A missing value's fallback is the `default` helper:
//!   `{{default profile.firstName "there"}}` (Adobe Journey Optimizer's helper style).
//!   The library is listed in [`helpers`].
//!
//!   The same can be written as a Liquid-style pipe, `{{profile.firstName | default: "there"}}`
//!   (pipes apply at the top level of a tag: `a | h1: x, y | h2` is `h2 (h1 a x y)`).
//! * `{{!-- … --}}` comments may contain `}}`.
//! * `{{log a b level="warn"}}` renders nothing and reports `[warn] a b` as a
//!   [`DiagnosticKind::Helper`] of the render (in [`Rendered::diagnostics`]).
//!
//! An unknown helper, in a tag, a sub-expression, a pipe or a block (`{{foo bar}}`,
//! `{{#frobnicate x}}`), is a compile error ([`ErrorKind::UnknownHelper`]) at its line and
//! column, as is any tag the parser cannot read: nothing is silently read as a path it is not,
//! and nothing renders as empty for want of a helper (what Handlebars' `helperMissing` hook
//! decides at render time is decided here when the template compiles). `helperMissing` and
//! `blockHelperMissing` themselves cannot be called (handlebars.js throws): `{{helperMissing}}`
//! and `{{#helperMissing}}` are compile errors; `{{this.helperMissing}}` reads a key of that
//! name.
//!
//! Escaping in the default HTML context is exactly Handlebars': `&` `<` `>` `"` `'` `` ` `` `=`
//! become `&amp;` `&lt;` `&gt;` `&quot;` `&#x27;` `&#x60;` `&#x3D;` (see [`Escape::Html`]).
//!
//! Where Handlebars and the Mustache spec disagree, the Mustache spec wins, and the vendored
//! handlebars.js cases that differ are listed with the reason in
//! `tests/suites/handlebars/skip.json`: a bare name is looked up down the context stack
//! (Handlebars looks in the current context only; `this.x` and `./x` do that here); a missing
//! partial renders as empty outside bundles; a section on `0` renders nothing (one
//! truthiness rule: `false`, `null`, `0`, `""` and `[]` are false). Not supported (compile
//! errors): helpers defined in JavaScript, custom `helperMissing`/`blockHelperMissing` hooks,
//! `@partial-block` as a value other than a condition, and `@data` variables other than
//! `@index`, `@first`, `@last`, `@key`, `@root` and `@partial-block`.
//!
//! `if`, `unless`, `each` and `with` are block names, so `{{#if}}` is never a Mustache section
//! on a key called `if`. A bare `{{name}}` is always a path, never a helper call; a helper with
//! no arguments is called as a sub-expression, e.g. `{{formatDate (now) "long"}}`.
//!
//! Data is looked up in plain maps only: `constructor` or `__proto__` are just keys, a
//! numeric segment indexes an array (`items.0`), and `length` is the only property of arrays
//! and strings. A bare name is searched down the context
//! stack (Mustache); `this.x`, `./x` and `../x` look in one context only.
//! Missing values render as empty and are reported in [`Rendered::diagnostics`] (for a tag
//! that is just a path; a helper's arguments may be missing on purpose, as with `default`).
//!
//! # Key order
//!
//! Objects keep their keys in the order of the JSON text they come from, end to end: the
//! bundle (offer `attributes`, JSON content), the profile snapshot (the central API stores and
//! serves attributes in the order they were written, and its projection keeps that order), the
//! context, and compiled bundles (the encoding writes an object's entries in its order).
//! `{{#each}}` over an object, its `@index`, `@first`, `@last` and `@key` and its block
//! parameters, and the JSON text of an object (`{{json x}}`, or `{{x}}` on an object) then
//! follow JavaScript's own-property order, which is what handlebars.js iterates
//! (`Object.keys`): the keys that are array indices (`"0"`, `"2"`, `"10"`: an integer from 0
//! to 2³² − 2 in canonical decimal form, so not `"02"` or `"-1"`) first, in ascending numeric
//! order, then every other key in the data's order. So `{"b": 1, "10": 2, "a": 3, "2": 4}`
//! iterates `2`, `10`, `b`, `a`. The browser SDK hands data to the runtime through
//! `JSON.stringify` of JavaScript objects, which already puts index keys first; applying the
//! same rule in the engine makes the native, wasm and Workers runtimes render the same data
//! identically whether or not it passed through a JavaScript object. A repeated key keeps its
//! first place and its last value.
//!
//! # HTML
//!
//! [`Template::compile`] knows nothing of markup: with [`Escape::Html`] every value is escaped
//! as HTML text, which is not enough inside a tag (`<a href="{{x}}">` with
//! `x = javascript:alert(1)`). [`Template::compile_html`] tokenises the template's literal text
//! as HTML and gives each value the escaping of its place (text, quoted attribute value, start
//! of a URL attribute, which is checked), refusing at compile time the places where no
//! escaping makes data safe (unquoted attributes, event handlers, `style`, script and style
//! bodies, comments...). The rules are in [`html`]. Bundles compile their HTML fields this way.
//!
//! # Example
//!
//! ```
//! use serde_json::json;
//! use waymark_core::template::{Escape, Partials, RenderOptions, Template};
//!
//! let mut partials = Partials::new();
//! partials.compile("price", "{{formatCurrency price \"EUR\" \"de-DE\"}}")?;
//! let card = Template::compile(
//!     "card",
//!     "Hi {{default profile.firstName \"there\"}}! {{#each offers}}{{title}}: {{> price}}. {{/each}}",
//! )?;
//! let data = json!({"offers": [{"title": "Boots <new>", "price": 89.9}]});
//! let opts = RenderOptions { escape: Escape::Html, now_ms: 1_772_721_000_000, ..RenderOptions::default() };
//! let out = card.render(&data, &partials, &opts)?;
//! assert_eq!(out.text, "Hi there! Boots &lt;new&gt;: 89,90\u{a0}€. ");
//! assert!(out.diagnostics.is_empty());
//! # Ok::<(), waymark_core::template::TemplateError>(())
//! ```

mod args;
mod ast;
mod error;
mod escape;
pub mod helpers;
pub mod html;
mod lexer;
pub mod locale;
mod order;
mod parser;
mod reads;
mod render;
mod scope;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

pub use error::{Diagnostic, DiagnosticKind, ErrorKind, TemplateError};
pub(crate) use escape::url_allowed;
pub use escape::{Escape, UNSAFE_URL};
pub(crate) use reads::DataNeeds;

/// A compiled template. Cloning is cheap (the tree is shared).
#[derive(Clone, Debug)]
pub struct Template {
    name: Arc<str>,
    src: Arc<str>,
    nodes: Arc<[ast::Node]>,
}

impl Template {
    /// Compiles `src`; `name` appears in errors and diagnostics.
    ///
    /// # Errors
    ///
    /// A [`TemplateError`] locating the first syntax error: unclosed tags or sections,
    /// mismatched closing tags, unknown helpers, malformed paths or literals, nesting deeper
    /// than 256 sections.
    pub fn compile(name: &str, src: &str) -> Result<Template, TemplateError> {
        let nodes = parser::parse(name, src)?;
        Ok(Template {
            name: name.into(),
            src: src.into(),
            nodes: nodes.into(),
        })
    }

    /// Compiles `src` as an HTML fragment: each value gets the escaping of the place it lands
    /// in (text, attribute value, or the start of a URL attribute, which is checked), and a value
    /// where escaping cannot make data safe is a compile error: unquoted attribute values,
    /// event handlers, `style`, `<script>` and `<style>` bodies, comments, tag and attribute
    /// names, raw output outside text. The rules are in [`html`]. The contexts apply when
    /// rendering with [`Escape::Html`]; with another escape the template renders as one from
    /// [`Template::compile`].
    ///
    /// # Errors
    ///
    /// As [`Template::compile`], and [`ErrorKind::UnsafeHtmlContext`] at the first value in an
    /// unsafe place.
    pub fn compile_html(name: &str, src: &str) -> Result<Template, TemplateError> {
        Template::compile(name, src)?.html(name, false)
    }

    /// This template with HTML contexts (see [`Template::compile_html`]); errors are named
    /// `name`. A `partial` must also end in text.
    pub(crate) fn html(&self, name: &str, partial: bool) -> Result<Template, TemplateError> {
        let mut nodes = self.nodes.to_vec();
        html::annotate(name, &self.src, &mut nodes, partial)?;
        Ok(Template {
            name: Arc::clone(&self.name),
            src: Arc::clone(&self.src),
            nodes: nodes.into(),
        })
    }

    /// The names of the partials this template includes.
    pub(crate) fn partial_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        html::partials(&self.nodes, &mut out);
        out
    }

    /// The inline partials (`{{#*inline "name"}}`) the template defines.
    pub(crate) fn inline_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        visit(&self.nodes, &mut |node| {
            if let ast::Node::Partial(p) = node
                && p.kind == ast::PartialKind::Inline
            {
                out.push(&*p.name);
            }
        });
        out
    }

    /// The first `{{> name}}` whose partial is neither `known` nor defined inline here, as an
    /// error at the tag (a partial block's own content is its fallback, so it needs none).
    pub(crate) fn missing_partial(&self, known: &dyn Fn(&str) -> bool) -> Option<TemplateError> {
        let inline = self.inline_names();
        let mut missing = None;
        visit(&self.nodes, &mut |node| {
            if let ast::Node::Partial(p) = node
                && p.kind == ast::PartialKind::Include
                && missing.is_none()
                && &*p.name != "@partial-block"
                && !known(&p.name)
                && !inline.contains(&&*p.name)
            {
                missing = Some((p.name.to_string(), p.at));
            }
        });
        let (name, at) = missing?;
        Some(TemplateError::new(
            &self.name,
            &self.src,
            at as usize,
            ErrorKind::MissingPartial(name),
        ))
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template's source.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Renders the template with `data` as the root context.
    ///
    /// # Errors
    ///
    /// A [`TemplateError`] (located in this template or the partial where it happened) when a
    /// helper fails, or the render runs out of fuel, nests too deep or outgrows
    /// [`RenderOptions::max_output`].
    pub fn render(
        &self,
        data: &Value,
        partials: &Partials,
        opts: &RenderOptions,
    ) -> Result<Rendered, TemplateError> {
        render::render(self, data, partials, opts, &crate::tables::BuiltIn)
    }

    /// [`Template::render`] with the locales and zone rules of `tables` instead of the
    /// built-in ones (a decision's: see `crate::tables`).
    pub(crate) fn render_with(
        &self,
        data: &Value,
        partials: &Partials,
        opts: &RenderOptions,
        tables: &dyn crate::tables::Tables,
    ) -> Result<Rendered, TemplateError> {
        render::render(self, data, partials, opts, tables)
    }
}

/// Calls `f` on every node of `nodes`, depth first.
fn visit<'n>(nodes: &'n [ast::Node], f: &mut dyn FnMut(&'n ast::Node)) {
    use ast::Node;
    for node in nodes {
        f(node);
        match node {
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
                visit(body, f);
                visit(else_body, f);
            }
            Node::Partial(p) => visit(&p.body, f),
            Node::Text { .. } | Node::Interp { .. } => {}
        }
    }
}

/// Named, compiled partials for `{{> name}}`. A missing partial renders as empty (with a
/// diagnostic), as the Mustache spec requires.
#[derive(Clone, Debug, Default)]
pub struct Partials {
    map: BTreeMap<String, Template>,
}

impl Partials {
    /// No partials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compiles `src` and adds it under `name`, replacing any partial of that name.
    ///
    /// # Errors
    ///
    /// The partial's compile error.
    pub fn compile(&mut self, name: &str, src: &str) -> Result<(), TemplateError> {
        self.insert(Template::compile(name, src)?);
        Ok(())
    }

    /// Compiles `src` as HTML (see [`Template::compile_html`]) and adds it under `name`. The
    /// partial must also end in HTML text, as it is included in text.
    ///
    /// # Errors
    ///
    /// The partial's compile error.
    pub fn compile_html(&mut self, name: &str, src: &str) -> Result<(), TemplateError> {
        self.insert(Template::compile(name, src)?.html(name, true)?);
        Ok(())
    }

    /// Adds a compiled template under its own name.
    pub fn insert(&mut self, template: Template) {
        self.map.insert(template.name().to_string(), template);
    }

    /// The partial called `name`.
    pub fn get(&self, name: &str) -> Option<&Template> {
        self.map.get(name)
    }

    /// The partials, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Template> {
        self.map.values()
    }
}

/// How to render: output context, injected "now", locale, time zone and limits.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// The output context; every value a tag produces is escaped for it (in a template
    /// compiled with [`Template::compile_html`], `Html` means each value's own HTML context).
    pub escape: Escape,
    /// Whether `{{{x}}}` and `{{& x}}` may skip escaping (in the `Html` and `None` contexts
    /// only). When `false` they are escaped like `{{x}}`.
    pub allow_raw: bool,
    /// URL schemes allowed in URL contexts besides the safe ones (a bundle's `appSchemes`);
    /// each must be one a bundle may allow.
    pub app_schemes: Vec<String>,
    /// "Now" for the date helpers, in Unix milliseconds.
    pub now_ms: i64,
    /// Default locale of the formatting helpers (see the table in [`locale`]).
    pub locale: String,
    /// Default IANA time zone of the date helpers.
    pub time_zone: String,
    /// Work units the render may use: one per node, loop iteration and helper call, plus one
    /// per 64 bytes a helper produces.
    pub fuel: u64,
    /// Maximum nesting of sections, blocks and partials (capped at 256).
    pub max_depth: usize,
    /// Maximum output size in bytes.
    pub max_output: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            escape: Escape::Html,
            allow_raw: true,
            app_schemes: Vec::new(),
            now_ms: 0,
            locale: "en-US".into(),
            time_zone: "UTC".into(),
            fuel: 1_000_000,
            max_depth: 64,
            max_output: 1 << 20,
        }
    }
}

impl RenderOptions {
    /// The option names [`RenderOptions::set`] knows, as tools and bindings spell them.
    pub const JSON_KEYS: [&'static str; 4] = ["escape", "now", "locale", "timeZone"];

    /// Sets one option from its JSON form, as the CLI and the JavaScript bindings receive it:
    /// `escape` (`"html"`, `"attribute"`, `"url"`, `"json"` or `"none"`), `now` (unix
    /// milliseconds, or an RFC 3339 timestamp or plain date), `locale`, `timeZone`. `null`
    /// leaves the option as it is.
    ///
    /// # Errors
    ///
    /// A message for an unknown key or a value of the wrong type.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        let text = || {
            value
                .as_str()
                .ok_or_else(|| format!("`{key}` must be a string"))
        };
        match key {
            "escape" => self.escape = text()?.parse()?,
            "locale" => self.locale = text()?.to_string(),
            "timeZone" => self.time_zone = text()?.to_string(),
            "now" => {
                self.now_ms = match value {
                    Value::Number(n) => n
                        .as_i64()
                        .ok_or_else(|| format!("`now` must be whole unix milliseconds, got {n}"))?,
                    Value::String(s) => crate::expr::parse_timestamp_ms(s).ok_or_else(|| {
                        format!("`now` is not an RFC 3339 timestamp or a date: {s:?}")
                    })?,
                    _ => return Err("`now` must be unix milliseconds or an RFC 3339 string".into()),
                }
            }
            _ => {
                return Err(format!(
                    "unknown render option `{key}` (expected {})",
                    RenderOptions::JSON_KEYS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The output of a render and what it noticed along the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The rendered text.
    pub text: String,
    /// Missing values and partials, helper warnings, unsafe URLs (at most 256).
    pub diagnostics: Vec<Diagnostic>,
    /// The fuel the render used (to size [`RenderOptions::fuel`]).
    pub fuel_used: u64,
}

/// A template's tree alone: what a compiled bundle carries for the bundle's templates (their
/// names and sources are the bundle's own, given back when it is loaded).
#[derive(Debug, Clone)]
pub(crate) struct Tree(Arc<[ast::Node]>);

impl Template {
    pub(crate) fn tree(&self) -> Tree {
        Tree(Arc::clone(&self.nodes))
    }

    pub(crate) fn with_tree(name: &str, src: &str, tree: Tree) -> Template {
        Template {
            name: name.into(),
            src: src.into(),
            nodes: tree.0,
        }
    }
}

impl crate::wire::Wire for Tree {
    fn put(&self, w: &mut crate::wire::Writer) {
        self.0.put(w);
    }
    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        crate::wire::Wire::get(r).map(Tree)
    }
}

/// A whole template (partials, which are keyed by name).
impl crate::wire::Wire for Template {
    fn put(&self, w: &mut crate::wire::Writer) {
        self.name.put(w);
        self.src.put(w);
        self.nodes.put(w);
    }
    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        Ok(Template {
            name: crate::wire::Wire::get(r)?,
            src: crate::wire::Wire::get(r)?,
            nodes: crate::wire::Wire::get(r)?,
        })
    }
}

impl crate::wire::Wire for Partials {
    fn put(&self, w: &mut crate::wire::Writer) {
        w.len(self.map.len());
        for template in self.map.values() {
            template.put(w);
        }
    }
    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        let mut partials = Partials::new();
        for template in Vec::<Template>::get(r)? {
            partials.insert(template);
        }
        Ok(partials)
    }
}

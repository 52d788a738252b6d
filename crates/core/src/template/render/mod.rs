//! The renderer: walks the node tree over a context stack, with fuel, depth and output limits.

mod blocks;
mod partials;

use std::borrow::Cow;

use serde_json::Value;

use super::ast::{Expr, IfCondition, Node, PathBase};
use super::error::{Diagnostic, DiagnosticKind, ErrorKind, TemplateError, locate};
use super::escape::{UNSAFE_URL, url_allowed};
use super::helpers::{Args, Env, truthy};
use super::html::Ctx;
use super::order;
use super::scope::{Frame, Loop, Scope};
use super::{Escape, Partials, RenderOptions, Rendered, Template};

const MAX_DIAGNOSTICS: usize = 256;
const DEPTH_CAP: usize = 256;

struct Renderer<'a> {
    opts: &'a RenderOptions,
    partials: &'a Partials,
    scope: Scope<'a>,
    out: String,
    fuel: u64,
    depth: usize,
    max_depth: usize,
    indent: String,
    at_line_start: bool,
    diags: Vec<Diagnostic>,
    env: Env<'a>,
    /// Inline partials in scope, innermost last: name, template, body.
    inline: Vec<(&'a str, Template, &'a [Node])>,
    /// The bodies of the partial blocks being rendered, innermost last, with the context
    /// stack's height where each was written.
    blocks: Vec<(Template, &'a [Node], usize)>,
}

pub(crate) fn render(
    tpl: &Template,
    data: &Value,
    partials: &Partials,
    opts: &RenderOptions,
    tables: &dyn crate::tables::Tables,
) -> Result<Rendered, TemplateError> {
    let mut r = Renderer {
        opts,
        partials,
        scope: Scope {
            root: data,
            stack: vec![Frame {
                value: Cow::Borrowed(data),
                lp: None,
                params: 0,
            }],
        },
        // The source's length is a fair first guess at the output's.
        out: String::with_capacity(tpl.src.len()),
        fuel: opts.fuel,
        depth: 0,
        max_depth: opts.max_depth.min(DEPTH_CAP),
        indent: String::new(),
        at_line_start: false,
        diags: Vec::new(),
        env: Env {
            now_ms: opts.now_ms,
            locale: &opts.locale,
            time_zone: &opts.time_zone,
            tables,
            warnings: Vec::new(),
        },
        inline: Vec::new(),
        blocks: Vec::new(),
    };
    r.nodes(tpl, &tpl.nodes)?;
    let mut text = r.out;
    if opts.escape == Escape::Url && !url_allowed(&text, &opts.app_schemes) {
        text = UNSAFE_URL.to_string();
        r.diags.push(diag(tpl, 0, DiagnosticKind::UnsafeUrl));
    }
    let fuel_used = opts.fuel.saturating_sub(r.fuel);
    Ok(Rendered {
        text,
        diagnostics: r.diags,
        fuel_used,
    })
}

fn diag(tpl: &Template, at: u32, kind: DiagnosticKind) -> Diagnostic {
    let (line, column, _) = locate(&tpl.src, at as usize);
    Diagnostic {
        template: tpl.name.to_string(),
        line,
        column,
        kind,
    }
}

fn error(tpl: &Template, at: u32, kind: ErrorKind) -> TemplateError {
    TemplateError::new(&tpl.name, &tpl.src, at as usize, kind)
}

impl<'a> Renderer<'a> {
    fn burn(&mut self, tpl: &Template, at: u32, units: u64) -> Result<(), TemplateError> {
        match self.fuel.checked_sub(units) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(error(tpl, at, ErrorKind::OutOfFuel(self.opts.fuel))),
        }
    }

    /// Records a diagnostic once per place (a missing value in a loop is reported once).
    fn note(&mut self, tpl: &Template, at: u32, kind: DiagnosticKind) {
        if self.diags.len() >= MAX_DIAGNOSTICS {
            return;
        }
        let d = diag(tpl, at, kind);
        if !self.diags.contains(&d) {
            self.diags.push(d);
        }
    }

    fn room(&self, tpl: &Template, at: u32, extra: usize) -> Result<(), TemplateError> {
        if self
            .out
            .len()
            .saturating_add(extra)
            .saturating_add(self.indent.len())
            > self.opts.max_output
        {
            return Err(error(
                tpl,
                at,
                ErrorKind::OutputTooLarge(self.opts.max_output),
            ));
        }
        Ok(())
    }

    fn write_text(&mut self, tpl: &Template, at: u32, text: &str) -> Result<(), TemplateError> {
        self.room(tpl, at, text.len())?;
        if self.indent.is_empty() {
            self.out.push_str(text);
            return Ok(());
        }
        for line in text.split_inclusive('\n') {
            if self.at_line_start {
                self.room(tpl, at, line.len())?;
                self.out.push_str(&self.indent);
            }
            self.out.push_str(line);
            self.at_line_start = line.ends_with('\n');
        }
        Ok(())
    }

    fn write_value(
        &mut self,
        tpl: &Template,
        at: u32,
        s: &str,
        raw: bool,
        ctx: Ctx,
    ) -> Result<(), TemplateError> {
        // Checked before (unescaped size) and after (escaping may grow it up to 6x): the output
        // overshoots the limit by at most one escaped value before the render stops.
        self.room(tpl, at, s.len())?;
        if self.at_line_start && !self.indent.is_empty() {
            self.out.push_str(&self.indent);
            self.at_line_start = false;
        }
        let (escape, s) = match (self.opts.escape, ctx) {
            (Escape::Html, Ctx::Attribute) => (Escape::Attribute, s),
            (Escape::Html, Ctx::Url) if !url_allowed(s, &self.opts.app_schemes) => {
                self.note(tpl, at, DiagnosticKind::UnsafeUrl);
                (Escape::Attribute, UNSAFE_URL)
            }
            (Escape::Html, Ctx::Url) => (Escape::Attribute, s),
            (escape, _) => (escape, s),
        };
        escape.write(&mut self.out, s, raw && self.opts.allow_raw);
        self.room(tpl, at, 0)
    }

    fn eval(&mut self, tpl: &Template, e: &'a Expr) -> Result<Cow<'a, Value>, TemplateError> {
        match e {
            Expr::Literal(v) => Ok(Cow::Borrowed(v)),
            Expr::Path(p) => Ok(self.scope.lookup(p).unwrap_or(Cow::Owned(Value::Null))),
            Expr::Call(c) => {
                self.burn(tpl, c.at, 1)?;
                let mut args = Args {
                    pos: Vec::with_capacity(c.args.len()),
                    hash: Vec::new(),
                };
                for a in &c.args {
                    args.pos.push(self.eval(tpl, a)?);
                }
                for (k, a) in &c.hash {
                    args.hash.push((k.as_ref(), self.eval(tpl, a)?));
                }
                let result = (c.func)(&mut self.env, &args);
                for message in std::mem::take(&mut self.env.warnings) {
                    let helper = c.name.to_string();
                    self.note(tpl, c.at, DiagnosticKind::Helper { helper, message });
                }
                let v = result.map_err(|message| {
                    error(
                        tpl,
                        c.at,
                        ErrorKind::Helper {
                            helper: c.name.to_string(),
                            message,
                        },
                    )
                })?;
                let size = match &v {
                    Value::String(s) => s.len(),
                    Value::Array(items) => items.len(),
                    _ => 0,
                };
                self.burn(tpl, c.at, (size / 64) as u64)?;
                Ok(Cow::Owned(v))
            }
        }
    }

    /// Evaluates `{{#if}}`'s argument. A condition-language expression reads the render's root
    /// data with its `now_ms`, spends the render's fuel, and reports its diagnostics here.
    /// `zero`: `includeZero=true`, a number `0` counts as true.
    fn eval_condition(
        &mut self,
        tpl: &Template,
        c: &'a IfCondition,
        zero: bool,
    ) -> Result<bool, TemplateError> {
        match c {
            // `{{#if @partial-block}}`: is there a partial block's content to render?
            IfCondition::Expr(Expr::Path(p))
                if p.base == PathBase::Data
                    && p.segs.first().is_some_and(|s| **s == *"partial-block") =>
            {
                Ok(!self.blocks.is_empty())
            }
            IfCondition::Expr(e) => {
                let v = self.eval(tpl, e)?;
                Ok(truthy(&v) || (zero && v.is_number()))
            }
            IfCondition::Cond { expr, at } => {
                let env = crate::expr::Env::new(self.opts.now_ms).with_fuel(self.fuel);
                let result = expr.eval(self.scope.root, &env);
                let matched = result.truthy();
                for d in result.diagnostics {
                    if d == crate::expr::Diagnostic::OutOfFuel {
                        return Err(error(tpl, *at, ErrorKind::OutOfFuel(self.opts.fuel)));
                    }
                    self.note(tpl, *at, DiagnosticKind::Condition(d));
                }
                self.burn(tpl, *at, result.fuel_used)?;
                Ok(matched)
            }
        }
    }

    fn enter(
        &mut self,
        tpl: &Template,
        at: u32,
        partial: Option<&str>,
    ) -> Result<(), TemplateError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let kind = ErrorKind::TooDeep {
                limit: self.max_depth,
                partial: partial.map(str::to_string),
            };
            return Err(error(tpl, at, kind));
        }
        Ok(())
    }

    /// Renders `body` once with `value` pushed as the context.
    fn with_frame(
        &mut self,
        tpl: &Template,
        body: &'a [Node],
        frame: Frame<'a>,
    ) -> Result<(), TemplateError> {
        self.scope.stack.push(frame);
        let r = self.nodes(tpl, body);
        self.scope.stack.pop();
        r
    }

    /// Renders `body` once per item of an array or entry of an object, binding `params` block
    /// parameters; `false` if there were none.
    fn iterate(
        &mut self,
        tpl: &Template,
        at: u32,
        body: &'a [Node],
        v: Cow<'a, Value>,
        params: u8,
    ) -> Result<bool, TemplateError> {
        let mut items: Vec<(Option<Cow<'a, str>>, Cow<'a, Value>)> = match v {
            Cow::Borrowed(Value::Array(items)) => {
                items.iter().map(|i| (None, Cow::Borrowed(i))).collect()
            }
            Cow::Owned(Value::Array(items)) => {
                items.into_iter().map(|i| (None, Cow::Owned(i))).collect()
            }
            Cow::Borrowed(Value::Object(m)) => m
                .iter()
                .map(|(k, i)| (Some(Cow::Borrowed(k.as_str())), Cow::Borrowed(i)))
                .collect(),
            Cow::Owned(Value::Object(m)) => m
                .into_iter()
                .map(|(k, i)| (Some(Cow::Owned(k)), Cow::Owned(i)))
                .collect(),
            _ => return Ok(false),
        };
        // An object's keys in JavaScript's order (see `super::order`); an array has no keys.
        if items
            .iter()
            .any(|(k, _)| k.as_deref().and_then(order::array_index).is_some())
        {
            items.sort_by_key(|(k, _)| k.as_deref().map(order::rank));
        }
        let len = items.len();
        for (index, (key, value)) in items.into_iter().enumerate() {
            self.burn(tpl, at, 1)?;
            self.with_frame(
                tpl,
                body,
                Frame {
                    value,
                    lp: Some(Loop { index, len, key }),
                    params,
                },
            )?;
        }
        Ok(len > 0)
    }

    fn nodes(&mut self, tpl: &Template, nodes: &'a [Node]) -> Result<(), TemplateError> {
        // Inline partials are defined from the start of the block that holds them.
        let saved = self.inline.len();
        self.define_inline(tpl, nodes);
        let r = nodes.iter().try_for_each(|node| self.node(tpl, node));
        self.inline.truncate(saved);
        r
    }

    /// Dispatches one node. Each arm lives in its own function so that the recursion through
    /// nested sections keeps small stack frames (it is bounded by `max_depth`, at most 256).
    fn node(&mut self, tpl: &Template, node: &'a Node) -> Result<(), TemplateError> {
        match node {
            Node::Text { text, at } => self.text(tpl, text, *at),
            Node::Interp { expr, raw, ctx, at } => self.interp(tpl, expr, *raw, *ctx, *at),
            Node::Section {
                path,
                inverted,
                body,
                else_body,
                at,
            } => {
                self.enter(tpl, *at, None)?;
                let r = self.section(tpl, path, *inverted, body, else_body, *at);
                self.depth -= 1;
                r
            }
            Node::If {
                cond,
                negate,
                zero,
                body,
                else_body,
                at,
            } => {
                self.enter(tpl, *at, None)?;
                let r = self.if_block(tpl, cond, (*negate, *zero), body, else_body, *at);
                self.depth -= 1;
                r
            }
            Node::Each {
                expr,
                params,
                body,
                else_body,
                at,
            } => {
                self.enter(tpl, *at, None)?;
                let r = self.each(tpl, expr, *params, body, else_body, *at);
                self.depth -= 1;
                r
            }
            Node::With {
                expr,
                params,
                body,
                else_body,
                at,
            } => {
                self.enter(tpl, *at, None)?;
                let r = self.with(tpl, expr, *params, body, else_body, *at);
                self.depth -= 1;
                r
            }
            Node::Partial(p) => self.partial(tpl, p),
        }
    }
}

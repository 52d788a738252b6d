//! The renderer's node kinds, one function each (small stack frames for deep nesting).

use std::borrow::Cow;

use serde_json::Value;

use super::Renderer;
use crate::template::Template;
use crate::template::ast::{Expr, IfCondition, Node, Path};
use crate::template::error::{DiagnosticKind, TemplateError};
use crate::template::helpers::{display, truthy};
use crate::template::html::Ctx;
use crate::template::scope::Frame;

impl<'a> Renderer<'a> {
    #[inline(never)]
    pub(super) fn text(&mut self, tpl: &Template, t: &str, at: u32) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1 + (t.len() / 256) as u64)?;
        self.write_text(tpl, at, t)
    }

    #[inline(never)]
    pub(super) fn interp(
        &mut self,
        tpl: &Template,
        expr: &'a Expr,
        raw: bool,
        ctx: Ctx,
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let v = self.eval(tpl, expr)?;
        if let (Expr::Path(p), Value::Null) = (expr, v.as_ref())
            && self.scope.lookup(p).is_none()
        {
            self.note(tpl, at, DiagnosticKind::MissingValue(p.text.to_string()));
        }
        self.write_value(tpl, at, &display(&v), raw, ctx)
    }

    #[inline(never)]
    pub(super) fn section(
        &mut self,
        tpl: &Template,
        path: &Path,
        inverted: bool,
        body: &'a [Node],
        else_body: &'a [Node],
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let v = self.scope.lookup(path).unwrap_or(Cow::Owned(Value::Null));
        if inverted {
            self.nodes(tpl, if truthy(&v) { else_body } else { body })
        } else if v.as_array().is_some_and(|a| !a.is_empty()) {
            self.iterate(tpl, at, body, v, 0).map(drop)
        } else if truthy(&v) {
            let frame = Frame {
                value: v,
                lp: None,
                params: 0,
            };
            self.with_frame(tpl, body, frame)
        } else {
            self.nodes(tpl, else_body)
        }
    }

    #[inline(never)]
    pub(super) fn if_block(
        &mut self,
        tpl: &Template,
        cond: &'a IfCondition,
        (negate, zero): (bool, bool),
        body: &'a [Node],
        else_body: &'a [Node],
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let t = self.eval_condition(tpl, cond, zero)?;
        self.nodes(tpl, if t != negate { body } else { else_body })
    }

    #[inline(never)]
    pub(super) fn each(
        &mut self,
        tpl: &Template,
        expr: &'a Expr,
        params: u8,
        body: &'a [Node],
        else_body: &'a [Node],
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let v = self.eval(tpl, expr)?;
        if self.iterate(tpl, at, body, v, params)? {
            Ok(())
        } else {
            self.nodes(tpl, else_body)
        }
    }

    #[inline(never)]
    pub(super) fn with(
        &mut self,
        tpl: &Template,
        expr: &'a Expr,
        params: u8,
        body: &'a [Node],
        else_body: &'a [Node],
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let v = self.eval(tpl, expr)?;
        if truthy(&v) {
            let frame = Frame {
                value: v,
                lp: None,
                params,
            };
            self.with_frame(tpl, body, frame)
        } else {
            self.nodes(tpl, else_body)
        }
    }

    #[inline(never)]
    pub(super) fn partial(
        &mut self,
        tpl: &Template,
        name: &str,
        indent: &str,
        (context, hash): (Option<&'a Expr>, &'a [(Box<str>, Expr)]),
        at: u32,
    ) -> Result<(), TemplateError> {
        self.burn(tpl, at, 1)?;
        let partials = self.partials;
        let Some(partial) = partials.get(name) else {
            self.note(tpl, at, DiagnosticKind::MissingPartial(name.to_string()));
            return Ok(());
        };
        // `{{> p value}}` renders with `value` as the context, `{{> p key=x}}` with the
        // context plus those keys (Handlebars).
        let frame = if context.is_some() || !hash.is_empty() {
            let mut value = match context {
                Some(e) => self.eval(tpl, e)?,
                None => self.scope.top(),
            };
            if !hash.is_empty() {
                let mut map = match value.into_owned() {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                for (key, e) in hash {
                    let v = self.eval(tpl, e)?.into_owned();
                    map.insert(key.to_string(), v);
                }
                value = Cow::Owned(Value::Object(map));
            }
            Some(Frame {
                value,
                lp: None,
                params: 0,
            })
        } else {
            None
        };
        self.enter(tpl, at, Some(name))?;
        let saved = self.indent.len();
        if !indent.is_empty() {
            self.indent.push_str(indent);
            self.at_line_start = true;
        }
        let r = match frame {
            Some(frame) => self.with_frame(partial, &partial.nodes, frame),
            None => self.nodes(partial, &partial.nodes),
        };
        self.indent.truncate(saved);
        self.depth -= 1;
        r
    }
}

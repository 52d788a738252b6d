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
}

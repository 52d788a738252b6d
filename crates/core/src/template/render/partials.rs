//! Partials: `{{> name}}` with a context and `key=value` arguments, partial blocks
//! (`{{#> name}}…{{/name}}` and `{{> @partial-block}}`) and inline partials
//! (`{{#*inline "name"}}`).

use std::borrow::Cow;

use serde_json::Value;

use super::Renderer;
use crate::template::Template;
use crate::template::ast::{Expr, Node, PartialKind, PartialTag};
use crate::template::error::{DiagnosticKind, TemplateError};
use crate::template::scope::Frame;

/// A partial tag's context value and `key=value` arguments.
pub(super) type PartialArgs<'a> = (Option<&'a Expr>, &'a [(Box<str>, Expr)]);

impl<'a> Renderer<'a> {
    /// The partial called `name`: the innermost inline partial of that name, else the
    /// render's partials.
    fn find(&self, name: &str) -> Option<(Template, &'a [Node])> {
        if let Some((_, tpl, body)) = self.inline.iter().rev().find(|(n, _, _)| *n == name) {
            return Some((tpl.clone(), body));
        }
        let partials = self.partials;
        partials.get(name).map(|p| (p.clone(), &p.nodes[..]))
    }

    /// Defines the inline partials of `nodes` (until the caller truncates `self.inline`).
    pub(super) fn define_inline(&mut self, tpl: &Template, nodes: &'a [Node]) {
        for node in nodes {
            if let Node::Partial(p) = node
                && p.kind == PartialKind::Inline
            {
                self.inline.push((&p.name, tpl.clone(), &p.body));
            }
        }
    }

    #[inline(never)]
    pub(super) fn partial(
        &mut self,
        tpl: &Template,
        p: &'a PartialTag,
    ) -> Result<(), TemplateError> {
        let args = (p.context.as_ref(), &p.hash[..]);
        let name = &*p.name;
        match p.kind {
            PartialKind::Inline => Ok(()),
            PartialKind::Include => {
                self.burn(tpl, p.at, 1)?;
                if name == "@partial-block" {
                    // The block renders in the partial's place, with the partial blocks
                    // outside it.
                    let Some((block_tpl, body, height)) = self.blocks.pop() else {
                        self.note(tpl, p.at, DiagnosticKind::MissingPartial(name.to_string()));
                        return Ok(());
                    };
                    // Its block parameters were resolved where it was written: the partial's own
                    // blocks with parameters are hidden from it meanwhile.
                    let hidden: Vec<u8> = self
                        .scope
                        .stack
                        .iter_mut()
                        .skip(height)
                        .map(|f| std::mem::take(&mut f.params))
                        .collect();
                    let r = self.include(tpl, (&block_tpl, body), p, args);
                    for (f, params) in self.scope.stack.iter_mut().skip(height).zip(hidden) {
                        f.params = params;
                    }
                    self.blocks.push((block_tpl, body, height));
                    return r;
                }
                let Some((partial, nodes)) = self.find(name) else {
                    self.note(tpl, p.at, DiagnosticKind::MissingPartial(name.to_string()));
                    return Ok(());
                };
                self.include(tpl, (&partial, nodes), p, args)
            }
            PartialKind::Block => {
                self.burn(tpl, p.at, 1)?;
                // Inline partials in the block are defined for the partial it calls.
                let saved = self.inline.len();
                self.define_inline(tpl, &p.body);
                let r = match self.find(name) {
                    Some((partial, nodes)) => {
                        let height = self.scope.stack.len();
                        self.blocks.push((tpl.clone(), &p.body, height));
                        let r = self.include(tpl, (&partial, nodes), p, args);
                        self.blocks.pop();
                        r
                    }
                    // No such partial: the block is the fallback.
                    None => self.include(tpl, (tpl, &p.body), p, args),
                };
                self.inline.truncate(saved);
                r
            }
        }
    }

    /// Renders `nodes` (of template `target`) in the place of a partial tag of `tpl`.
    /// `{{> p value}}` renders with `value` as the context, `{{> p key=x}}` with the context
    /// plus those keys (Handlebars).
    fn include(
        &mut self,
        tpl: &Template,
        (target, nodes): (&Template, &'a [Node]),
        tag: &PartialTag,
        (context, hash): PartialArgs<'a>,
    ) -> Result<(), TemplateError> {
        let (name, indent, at) = (&*tag.name, &*tag.indent, tag.at);
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
            Some(frame) => self.with_frame(target, nodes, frame),
            None => self.nodes(target, nodes),
        };
        self.indent.truncate(saved);
        self.depth -= 1;
        r
    }
}

//! The data paths a template may read, so a bundle can tell which profile attributes it needs.

use serde_json::Value;

use super::ast::{Call, Expr, IfCondition, Node, Path, PathBase};
use super::{Partials, Template};

impl Template {
    /// Every path the template names that could resolve from the root data, as segments
    /// (`{{profile.firstName}}` gives `["profile", "firstName"]`). Inside blocks, bare names may
    /// also resolve against the block's context; the block's own path is listed too, and a
    /// caller that keeps whole subtrees of listed paths stays on the safe side.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        nodes(&self.nodes, &mut out);
        out
    }
}

fn nodes(list: &[Node], out: &mut Vec<Vec<String>>) {
    for node in list {
        match node {
            Node::Text { .. } => {}
            Node::Partial(p) => {
                for e in p.context.iter().chain(p.hash.iter().map(|(_, e)| e)) {
                    expr_paths(e, out);
                }
                nodes(&p.body, out);
            }
            Node::Interp { expr, .. } => expr_paths(expr, out),
            Node::Section {
                path: p,
                body,
                else_body,
                ..
            } => {
                path(p, out);
                nodes(body, out);
                nodes(else_body, out);
            }
            Node::If {
                cond,
                body,
                else_body,
                ..
            } => {
                match cond {
                    IfCondition::Expr(expr) => expr_paths(expr, out),
                    // Condition-language expressions read from the root data.
                    IfCondition::Cond { expr, .. } => {
                        let reads = expr.reads();
                        if reads.dynamic {
                            out.push(vec!["profile".to_owned()]);
                        }
                        out.extend(reads.paths);
                    }
                }
                nodes(body, out);
                nodes(else_body, out);
            }
            Node::Each {
                expr,
                body,
                else_body,
                ..
            }
            | Node::With {
                expr,
                body,
                else_body,
                ..
            } => {
                expr_paths(expr, out);
                nodes(body, out);
                nodes(else_body, out);
            }
        }
    }
}

fn expr_paths(expr: &Expr, out: &mut Vec<Vec<String>>) {
    match expr {
        Expr::Path(p) => path(p, out),
        Expr::Literal(_) => {}
        Expr::Call(call) => {
            for arg in call.args.iter().chain(call.hash.iter().map(|(_, e)| e)) {
                expr_paths(arg, out);
            }
        }
    }
}

fn path(p: &Path, out: &mut Vec<Vec<String>>) {
    let from_root = match p.base {
        PathBase::Stack | PathBase::Root => true,
        // `../x` may climb back to the root.
        PathBase::This => p.up > 0,
        // Loop variables and block parameters: the block's own path is listed.
        PathBase::Data | PathBase::Param(_) => false,
    };
    if from_root && !p.segs.is_empty() {
        out.push(p.segs.iter().map(|s| s.to_string()).collect());
    }
}

/// The locales and time zones a bundle's templates can reach (see `crate::tables`): the names
/// their formatting helpers are given as literals, and whether one takes its locale or zone
/// from data (then any may be asked for).
#[derive(Debug, Default)]
pub(crate) struct DataNeeds {
    pub locales: Vec<String>,
    /// A helper takes its locale from data or from the render's default (`context.locale`).
    pub any_locale: bool,
    pub zones: Vec<String>,
    /// A helper takes its zone from data. (The render's default zone is the visitor's, which
    /// each decision's input carries.)
    pub any_zone: bool,
}

impl DataNeeds {
    /// Adds what `template` needs.
    pub(crate) fn add(&mut self, template: &Template) {
        each_call(&template.nodes, &mut |call| self.call(call));
    }

    /// Adds what every partial needs.
    pub(crate) fn add_partials(&mut self, partials: &Partials) {
        for template in partials.map.values() {
            self.add(template);
        }
    }

    fn call(&mut self, call: &Call) {
        // (hash key, position) of the locale and zone arguments, as the helpers read them.
        let (locale, zone) = match &*call.name {
            "formatDate" => (Some(2), Some(3)),
            "daysUntil" => (None, Some(1)),
            "formatNumber" | "formatPercent" | "formatCurrency" => (Some(2), None),
            _ => return,
        };
        // The argument the helper reads: `key=` if given, else the positional one.
        let arg = |key: &str, i: usize| {
            call.hash
                .iter()
                .find(|(k, _)| &**k == key)
                .map(|(_, e)| e)
                .or_else(|| call.args.get(i))
        };
        if let Some(i) = locale {
            match arg("locale", i) {
                Some(Expr::Literal(v)) if !v.is_null() => self.locales.push(text(v)),
                _ => self.any_locale = true,
            }
        }
        if let Some(i) = zone {
            match arg("timeZone", i) {
                Some(Expr::Literal(v)) if !v.is_null() => self.zones.push(text(v)),
                None | Some(Expr::Literal(_)) => {} // the visitor's zone
                Some(_) => self.any_zone = true,
            }
        }
    }
}

/// A literal argument as a helper reads it.
fn text(v: &Value) -> String {
    super::helpers::display(v).into_owned()
}

/// Calls `f` for every helper call, sub-expressions included.
fn each_call(list: &[Node], f: &mut dyn FnMut(&Call)) {
    fn expr(e: &Expr, f: &mut dyn FnMut(&Call)) {
        if let Expr::Call(call) = e {
            f(call);
            for arg in call.args.iter().chain(call.hash.iter().map(|(_, e)| e)) {
                expr(arg, f);
            }
        }
    }
    for node in list {
        match node {
            Node::Text { .. } | Node::Partial { .. } => {}
            Node::Interp { expr: e, .. } => expr(e, f),
            Node::Section {
                body, else_body, ..
            } => {
                each_call(body, f);
                each_call(else_body, f);
            }
            Node::If {
                cond,
                body,
                else_body,
                ..
            } => {
                if let IfCondition::Expr(e) = cond {
                    expr(e, f);
                }
                each_call(body, f);
                each_call(else_body, f);
            }
            Node::Each {
                expr: e,
                body,
                else_body,
                ..
            }
            | Node::With {
                expr: e,
                body,
                else_body,
                ..
            } => {
                expr(e, f);
                each_call(body, f);
                each_call(else_body, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn lists_paths_in_tags_blocks_and_helper_arguments() {
        let template = Template::compile(
            "t",
            "{{profile.firstName}} {{#each profile.orders}}{{total}} {{@index}}{{/each}}\
             {{#if (gt context.cart.total 100)}}{{upper profile.city}}{{/if}}{{{@root.profile.bio}}}{{.}}\
             {{#if profile.loyalty.tier == \"gold\"}}!{{/if}}",
        )
        .unwrap();
        let paths: Vec<String> = template.paths().iter().map(|p| p.join(".")).collect();
        assert_eq!(
            paths,
            [
                "profile.firstName",
                "profile.orders",
                "total",
                "context.cart.total",
                "profile.city",
                "profile.bio",
                "profile.loyalty.tier"
            ]
        );
    }

    #[test]
    fn data_needs_are_literal_names_or_any() {
        let needs = |src: &str| {
            let mut needs = DataNeeds::default();
            needs.add(&Template::compile("t", src).unwrap());
            (needs.locales, needs.any_locale, needs.zones, needs.any_zone)
        };
        let none = (vec![], false, vec![], false);
        assert_eq!(needs("{{upper name}} {{#each xs}}{{.}}{{/each}}"), none);
        assert_eq!(
            needs(
                "{{formatDate d \"long\" \"fr-CA\" \"Europe/Paris\"}}\
                 {{#if x}}{{daysUntil d timeZone=\"Asia/Tokyo\"}}{{/if}}\
                 {{#each xs}}{{formatCurrency p \"EUR\" locale=\"de-DE\"}}{{/each}}"
            ),
            (
                vec!["fr-CA".into(), "de-DE".into()],
                false,
                vec!["Europe/Paris".into(), "Asia/Tokyo".into()],
                false
            )
        );
        // The default locale is the decision's `context.locale`; the default zone the
        // visitor's.
        assert_eq!(needs("{{formatNumber n}}"), (vec![], true, vec![], false));
        assert_eq!(
            needs("{{formatDate d \"short\" \"en-GB\"}}"),
            (vec!["en-GB".into()], false, vec![], false)
        );
        // Names from data, also inside sub-expressions.
        assert_eq!(
            needs("{{upper (formatDate d \"short\" \"en-GB\" profile.tz)}}"),
            (vec!["en-GB".into()], false, vec![], true)
        );
        assert_eq!(
            needs("{{formatPercent r 1 (lower profile.lang)}}"),
            (vec![], true, vec![], false)
        );
    }
}

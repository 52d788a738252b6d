//! The data paths a template may read, so a bundle can tell which profile attributes it needs.

use super::Template;
use super::ast::{Expr, IfCondition, Node, Path, PathBase};

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
}

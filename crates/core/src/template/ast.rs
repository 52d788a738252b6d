//! The compiled node tree. Positions are byte offsets into the template's source.

use serde_json::Value;

use super::helpers::HelperFn;
use super::html::Ctx;

/// One node of a compiled template.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Literal template text.
    Text { text: Box<str>, at: u32 },
    /// `{{expr}}` (escaped for the output context) or `{{{expr}}}` / `{{& expr}}` (raw);
    /// `ctx` is where it lands in HTML (see `super::html`).
    Interp {
        expr: Expr,
        raw: bool,
        ctx: Ctx,
        at: u32,
    },
    /// Mustache `{{#path}}` / `{{^path}}`; `else_body` is what `{{else}}` adds (Handlebars).
    Section {
        path: Path,
        inverted: bool,
        body: Vec<Node>,
        else_body: Vec<Node>,
        at: u32,
    },
    /// `{{#if}}` and `{{#unless}}` (`negate`), with `{{else}}` / `{{else if}}` chains;
    /// `zero`: `includeZero=true` (a `0` counts as true).
    If {
        cond: IfCondition,
        negate: bool,
        zero: bool,
        body: Vec<Node>,
        else_body: Vec<Node>,
        at: u32,
    },
    /// `{{#each expr}}`; `params`: how many block parameters (`as |item index|`) it binds.
    Each {
        expr: Expr,
        params: u8,
        body: Vec<Node>,
        else_body: Vec<Node>,
        at: u32,
    },
    /// `{{#with expr}}`; `params`: 1 with `as |x|`, else 0.
    With {
        expr: Expr,
        params: u8,
        body: Vec<Node>,
        else_body: Vec<Node>,
        at: u32,
    },
    /// A partial tag or block (see [`PartialTag`]).
    Partial(Box<PartialTag>),
}

/// Which partial tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PartialKind {
    /// `{{> name}}`.
    Include,
    /// `{{#> name}}body{{/name}}`: the partial, in which `{{> @partial-block}}` renders `body`;
    /// or `body` itself if there is no such partial.
    Block,
    /// `{{#*inline "name"}}body{{/inline}}`: a partial defined for the enclosing block (from its
    /// start) and the partials it calls; it renders nothing itself.
    Inline,
}

/// A partial tag. `indent` is the whitespace before a standalone `{{> name}}`; `context`
/// (`{{> name expr}}`) replaces the current context and `hash` (`{{> name key=expr}}`) adds
/// keys to it; `body` is a block's or an inline partial's content.
#[derive(Clone, Debug)]
pub(crate) struct PartialTag {
    pub kind: PartialKind,
    pub name: Box<str>,
    pub indent: Box<str>,
    pub context: Option<Expr>,
    pub hash: Vec<(Box<str>, Expr)>,
    pub body: Vec<Node>,
    pub at: u32,
}

/// The argument of `{{#if}}` / `{{#unless}}` / `{{else if}}` (see `parser::is_condition` for
/// which one a tag gets).
#[derive(Clone, Debug)]
pub(crate) enum IfCondition {
    /// A path, literal or helper call, tested for truthiness.
    Expr(Expr),
    /// A condition-language expression (`tier == "gold" and total > 100`), evaluated over the
    /// render's root data; `at` is the argument's offset in the template.
    Cond {
        expr: Box<crate::expr::Expr>,
        at: u32,
    },
}

/// A value-producing expression: a tag's argument or a helper's argument.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Path(Path),
    Literal(Value),
    Call(Box<Call>),
}

/// A helper call, `name arg1 "lit" 3 key=value`, or a sub-expression `(name ...)`.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub name: Box<str>,
    pub func: HelperFn,
    pub args: Vec<Expr>,
    pub hash: Vec<(Box<str>, Expr)>,
    pub at: u32,
}

/// Where a path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathBase {
    /// A bare name: the first segment is searched down the context stack (Mustache).
    Stack,
    /// `.`, `this`, `this.x`, `./x`, `../x`: the current (or an outer) context only.
    This,
    /// `@root.x`: the data passed to `render`.
    Root,
    /// `@index`, `@first`, `@last`, `@key` of the innermost loop.
    Data,
    /// A block parameter, resolved when the template compiles: parameter `n` (0: the item or
    /// value, 1: the index or key) of the block `up` levels out among those that bind
    /// parameters.
    Param(u8),
}

/// A dotted path such as `profile.firstName`, `../name`, `@index`, `.`.
#[derive(Clone, Debug)]
pub(crate) struct Path {
    pub base: PathBase,
    /// How many contexts up (`../`), for `Stack` and `This`; loops out for `Data`; blocks
    /// with parameters out for `Param`.
    pub up: u32,
    pub segs: Vec<Box<str>>,
    /// The path as written, for diagnostics.
    pub text: Box<str>,
}

mod wire {
    //! Template trees in compiled bundles (see `crate::wire`).

    use super::{Call, Expr, IfCondition, Node, PartialKind, PartialTag, Path, PathBase};
    use crate::template::helpers;
    use crate::wire::{Reader, Wire, WireError, Writer, wire_enum, wire_struct};

    wire_enum!(Node {
        0 => Text { text, at },
        1 => Interp { expr, raw, ctx, at },
        2 => Section { path, inverted, body, else_body, at },
        3 => If { cond, negate, zero, body, else_body, at },
        4 => Each { expr, params, body, else_body, at },
        5 => With { expr, params, body, else_body, at },
        6 => Partial(partial),
    });
    wire_enum!(PartialKind {
        0 => Include,
        1 => Block,
        2 => Inline,
    });
    wire_struct!(PartialTag {
        kind,
        name,
        indent,
        context,
        hash,
        body,
        at,
    });
    wire_enum!(IfCondition {
        0 => Expr(expr),
        1 => Cond { expr, at },
    });
    wire_enum!(Expr {
        0 => Path(path),
        1 => Literal(value),
        2 => Call(call),
    });
    wire_enum!(PathBase {
        0 => Stack,
        1 => This,
        2 => Root,
        3 => Data,
        4 => Param(n),
    });
    wire_struct!(Path {
        base,
        up,
        segs,
        text,
    });

    /// A helper call; the helper travels by name.
    impl Wire for Call {
        fn put(&self, w: &mut Writer) {
            self.name.put(w);
            self.args.put(w);
            self.hash.put(w);
            self.at.put(w);
        }
        fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
            let name = Box::<str>::get(r)?;
            let func = helpers::lookup(&name).ok_or_else(|| r.error("unknown helper"))?;
            Ok(Call {
                name,
                func,
                args: Wire::get(r)?,
                hash: Wire::get(r)?,
                at: Wire::get(r)?,
            })
        }
    }
}

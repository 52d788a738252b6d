//! The context stack and path lookup: Mustache's walk down the stack for a bare name, the
//! current context for `this`/`.`, `../` for outer contexts, `@root`, and loop variables.
//! Only a map's own keys and an array's indices are reachable.

use std::borrow::Cow;

use serde_json::Value;

use super::ast::{Path, PathBase};

pub(crate) struct Loop<'a> {
    pub index: usize,
    pub len: usize,
    pub key: Option<Cow<'a, str>>,
}

pub(crate) struct Frame<'a> {
    pub value: Cow<'a, Value>,
    pub lp: Option<Loop<'a>>,
    /// How many block parameters the frame binds (`as |item index|`): the value, then the
    /// loop's index or key.
    pub params: u8,
}

/// The data being rendered and the stack of contexts pushed by sections and blocks.
pub(crate) struct Scope<'a> {
    pub root: &'a Value,
    pub stack: Vec<Frame<'a>>,
}

/// The member `seg` of a map, element `seg` of an array, or the `length` of an array or a
/// string (in UTF-16 code units, as JavaScript counts). Plain data lookups only.
fn child<'v>(v: &'v Value, seg: &str) -> Option<Cow<'v, Value>> {
    match v {
        Value::Object(m) => m.get(seg).map(Cow::Borrowed),
        Value::Array(items) if seg == "length" => Some(Cow::Owned(Value::from(items.len()))),
        Value::Array(items) => seg
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get(i))
            .map(Cow::Borrowed),
        Value::String(s) if seg == "length" => {
            Some(Cow::Owned(Value::from(s.encode_utf16().count())))
        }
        _ => None,
    }
}

fn walk<'a>(start: Cow<'a, Value>, segs: &[Box<str>]) -> Option<Cow<'a, Value>> {
    let mut cur = start;
    for s in segs {
        cur = match cur {
            Cow::Borrowed(v) => child(v, s)?,
            Cow::Owned(v) => Cow::Owned(child(&v, s)?.into_owned()),
        };
    }
    Some(cur)
}

/// [`walk`] from a frame's value (an owned one is cloned at the end of the path only).
fn walk_from<'a>(start: &Cow<'a, Value>, segs: &[Box<str>]) -> Option<Cow<'a, Value>> {
    match start {
        Cow::Borrowed(v) => walk(Cow::Borrowed(v), segs),
        Cow::Owned(v) => walk(Cow::Borrowed(v), segs).map(|c| Cow::Owned(c.into_owned())),
    }
}

impl<'a> Scope<'a> {
    /// The current context.
    pub(crate) fn top(&self) -> Cow<'a, Value> {
        match self.stack.last().map(|f| &f.value) {
            Some(Cow::Borrowed(v)) => Cow::Borrowed(v),
            Some(Cow::Owned(v)) => Cow::Owned(v.clone()),
            None => Cow::Borrowed(self.root),
        }
    }

    /// The value at `p`, or `None` if it is missing.
    pub(crate) fn lookup(&self, p: &Path) -> Option<Cow<'a, Value>> {
        let up = p.up as usize;
        match p.base {
            PathBase::Root => walk(Cow::Borrowed(self.root), &p.segs),
            PathBase::This => {
                let frame = self
                    .stack
                    .len()
                    .checked_sub(1 + up)
                    .and_then(|i| self.stack.get(i))?;
                walk_from(&frame.value, &p.segs)
            }
            PathBase::Param(n) => {
                let frame = self.stack.iter().rev().filter(|f| f.params > 0).nth(up)?;
                match (n, &frame.lp) {
                    (0, _) => walk_from(&frame.value, &p.segs),
                    (1, Some(lp)) => {
                        let v = match &lp.key {
                            Some(key) => Value::String(key.to_string()),
                            None => Value::from(lp.index),
                        };
                        walk(Cow::Owned(v), &p.segs)
                    }
                    _ => None,
                }
            }
            PathBase::Stack => {
                // The innermost context that has the first name, walked from there (a miss
                // below it is a miss: Mustache does not look further out).
                let (first, rest) = p.segs.split_first()?;
                let top = self.stack.len().checked_sub(up)?;
                for frame in self.stack.get(..top)?.iter().rev() {
                    match &frame.value {
                        Cow::Borrowed(value) => {
                            let value: &'a Value = value;
                            if let Some(found) = child(value, first) {
                                return walk(found, rest);
                            }
                        }
                        Cow::Owned(value) => {
                            if let Some(found) = child(value, first) {
                                return walk(found, rest).map(|v| Cow::Owned(v.into_owned()));
                            }
                        }
                    }
                }
                None
            }
            PathBase::Data => {
                let lp = self
                    .stack
                    .iter()
                    .rev()
                    .filter_map(|f| f.lp.as_ref())
                    .nth(up)?;
                let v = match p.segs.first().map(AsRef::as_ref) {
                    Some("index") => Value::from(lp.index),
                    Some("first") => Value::Bool(lp.index == 0),
                    Some("last") => Value::Bool(lp.index + 1 == lp.len),
                    Some("key") => Value::String(lp.key.as_deref()?.to_string()),
                    _ => return None,
                };
                Some(Cow::Owned(v))
            }
        }
    }
}

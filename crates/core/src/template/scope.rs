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
}

/// The data being rendered and the stack of contexts pushed by sections and blocks.
pub(crate) struct Scope<'a> {
    pub root: &'a Value,
    pub stack: Vec<Frame<'a>>,
}

/// The member `seg` of a map, or element `seg` of an array. Plain data lookups only.
fn child<'v>(v: &'v Value, seg: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(seg),
        Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

fn walk<'a>(start: &Cow<'a, Value>, segs: &[Box<str>]) -> Option<Cow<'a, Value>> {
    match start {
        Cow::Borrowed(v) => {
            let mut cur: &'a Value = v;
            for s in segs {
                cur = child(cur, s)?;
            }
            Some(Cow::Borrowed(cur))
        }
        Cow::Owned(v) => {
            let mut cur = v;
            for s in segs {
                cur = child(cur, s)?;
            }
            Some(Cow::Owned(cur.clone()))
        }
    }
}

impl<'a> Scope<'a> {
    /// The value at `p`, or `None` if it is missing.
    pub(crate) fn lookup(&self, p: &Path) -> Option<Cow<'a, Value>> {
        let up = p.up as usize;
        match p.base {
            PathBase::Root => walk(&Cow::Borrowed(self.root), &p.segs),
            PathBase::This => {
                let frame = self
                    .stack
                    .len()
                    .checked_sub(1 + up)
                    .and_then(|i| self.stack.get(i))?;
                walk(&frame.value, &p.segs)
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
                            if let Some(found) = value.as_object().and_then(|m| m.get(&**first)) {
                                return walk(&Cow::Borrowed(found), rest);
                            }
                        }
                        Cow::Owned(value) => {
                            if let Some(found) = value.as_object().and_then(|m| m.get(&**first)) {
                                let mut cur = found;
                                for seg in rest {
                                    cur = child(cur, seg)?;
                                }
                                return Some(Cow::Owned(cur.clone()));
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

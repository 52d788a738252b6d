//! Applying a decision's web actions to a page while it streams, with lol_html.
//!
//! A proposition is applied at the edge only when every one of its actions can be: a selector
//! lol_html parses (no `>>>` shadow piercing), and an action that is a plain edit of the markup
//! (`setHtml`, `setText`, `setAttribute`, `setImageSource`, `setStyle`, insertions, `replaceHtml`,
//! `remove`). Anything else (`move`, `resize`, `rearrange`, `trackClicks`, unsupported
//! selectors) leaves the whole proposition to the browser SDK, so no proposition is half-applied.
//!
//! Whether an action's selector matched is known only once the page has streamed by, so the
//! `[proposition, action]` pairs that did are written at the end of the document (see
//! [`stream`]); the SDK applies the rest of a listed proposition itself.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::{Stream, StreamExt};
use lol_html::html_content::{ContentType, Element};
use lol_html::{ElementContentHandlers, HtmlRewriter, MemorySettings, Selector, Settings};
use serde_json::{Value, json};
use waymark_core::bundle::WebActionKind;
use waymark_core::engine::{Decision, Rendered, RenderedAction};

/// The most memory the rewriter may use for one page (lol_html buffers only what a selector
/// needs; past this the page fails rather than the isolate).
const MAX_MEMORY: usize = 8 * 1024 * 1024;

/// The actions to apply at the edge and the propositions they come from.
#[derive(Debug, Default)]
pub struct Plan {
    /// `{"surface", "activityId", "variantId"?, "token"}` per proposition applied here.
    pub applied: Vec<Value>,
    /// Each action with its `[proposition, action]` place (in `applied` and in its proposition).
    actions: Vec<(Selector, RenderedAction, [usize; 2])>,
}

impl Plan {
    pub fn new(decision: &Decision) -> Plan {
        let mut plan = Plan::default();
        for proposition in &decision.propositions {
            let Some(Rendered::Web { actions }) = &proposition.content else {
                continue;
            };
            let parsed: Option<Vec<_>> = actions.iter().map(edge_action).collect();
            let Some(parsed) = parsed.filter(|p| !p.is_empty()) else {
                continue;
            };
            let at = plan.applied.len();
            plan.actions.extend(
                parsed
                    .into_iter()
                    .enumerate()
                    .map(|(i, (selector, action))| (selector, action, [at, i])),
            );
            let mut applied = json!({
                "surface": proposition.surface,
                "activityId": proposition.activity_id,
                "token": proposition.token,
            });
            if let Some(variant) = &proposition.variant_id {
                applied["variantId"] = json!(variant);
            }
            plan.applied.push(applied);
        }
        plan
    }
}

/// The action with its parsed selector, when the edge can apply it.
fn edge_action(action: &RenderedAction) -> Option<(Selector, RenderedAction)> {
    use WebActionKind as K;
    let supported = match &action.kind {
        K::SetHtml { .. }
        | K::SetText { .. }
        | K::SetImageSource { .. }
        | K::InsertBefore { .. }
        | K::InsertAfter { .. }
        | K::AppendHtml { .. }
        | K::PrependHtml { .. }
        | K::ReplaceHtml { .. }
        | K::Remove => true,
        K::SetAttribute { attributes } => attributes.keys().all(|name| attribute_name(name)),
        K::SetStyle { properties, .. } => properties
            .iter()
            .all(|(name, value)| css_safe(name) && css_safe(value)),
        K::Move { .. } | K::Resize { .. } | K::Rearrange { .. } | K::TrackClicks => false,
    };
    if !supported || action.selector.contains(">>>") {
        return None;
    }
    let selector = action.selector.parse().ok()?;
    Some((selector, action.clone()))
}

fn attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}

/// A CSS name or value that cannot end its declaration or the attribute.
fn css_safe(text: &str) -> bool {
    !text.is_empty() && !text.contains([';', '{', '}', '"', '<', '\\'])
}

/// `value` as it may stand inside a double-quoted attribute (lol_html escapes only quotes and
/// keeps entities, while the engine renders attribute values unescaped, for `setAttribute`).
fn attribute_value(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;")
}

fn apply(el: &mut Element, kind: &WebActionKind) -> lol_html::HandlerResult {
    use WebActionKind as K;
    match kind {
        K::SetHtml { content } => el.set_inner_content(content, ContentType::Html),
        K::SetText { content } => el.set_inner_content(content, ContentType::Text),
        K::InsertBefore { content } => el.before(content, ContentType::Html),
        K::InsertAfter { content } => el.after(content, ContentType::Html),
        K::AppendHtml { content } => el.append(content, ContentType::Html),
        K::PrependHtml { content } => el.prepend(content, ContentType::Html),
        K::ReplaceHtml { content } => el.replace(content, ContentType::Html),
        K::Remove => el.remove(),
        K::SetImageSource { src } => el.set_attribute("src", &attribute_value(src))?,
        K::SetAttribute { attributes } => {
            for (name, value) in attributes {
                el.set_attribute(name, &attribute_value(value))?;
            }
        }
        K::SetStyle {
            properties,
            important,
        } => {
            // lol_html hands the attribute value over as it stands in the markup (entities
            // kept), so only the declarations added here are escaped.
            let mut style = el.get_attribute("style").unwrap_or_default();
            let suffix = if *important { " !important" } else { "" };
            for (name, value) in properties {
                if !style.is_empty() && !style.trim_end().ends_with(';') {
                    style.push(';');
                }
                style.push_str(&attribute_value(&format!("{name}: {value}{suffix};")));
            }
            el.set_attribute("style", &style)?;
        }
        K::Move { .. } | K::Resize { .. } | K::Rearrange { .. } | K::TrackClicks => {}
    }
    Ok(())
}

/// The `<script>` the SDK reads (see edge/README.md): the decision exactly as the engine
/// returned it, what was applied here, the visitor id, and the nonce the list of matched actions
/// at the end of the page carries; `<` escaped so it cannot close the script element.
pub fn head_script(
    decision_json: &str,
    applied: &[Value],
    visitor_id: &str,
    nonce: &str,
) -> String {
    let applied = serde_json::to_string(applied).unwrap_or_else(|_| "[]".into());
    let visitor = serde_json::to_string(visitor_id).unwrap_or_else(|_| "\"\"".into());
    let nonce = serde_json::to_string(nonce).unwrap_or_else(|_| "\"\"".into());
    let json = format!(
        r#"{{"decision":{decision_json},"applied":{applied},"visitorId":{visitor},"nonce":{nonce}}}"#
    );
    format!(
        r#"<script type="application/json" id="waymark-edge-decision">{}</script>"#,
        json.replace('<', "\\u003c")
    )
}

/// The `<script>` that ends a personalised page: the `[proposition, action]` pairs whose
/// selector matched an element here, with the head script's nonce (see edge/README.md).
pub fn matched_script(matched: &[[usize; 2]], nonce: &str) -> String {
    let list = serde_json::to_string(matched).unwrap_or_else(|_| "[]".into());
    // The nonce is hex; anything else is dropped rather than escaped.
    let nonce: String = nonce.chars().filter(char::is_ascii_hexdigit).collect();
    format!(
        r#"<script type="application/json" id="waymark-edge-matched" data-nonce="{nonce}">{list}</script>"#
    )
}

/// The ids of the elements the Worker writes. Elements the origin's page already has with these
/// ids are removed, so that the only ones in the page are the Worker's (page content cannot pose
/// as the edge, wherever it puts such an element).
pub const OWN_IDS: [&str; 2] = ["waymark-edge-decision", "waymark-edge-matched"];

/// Rewrites `input` (the origin's body chunks) chunk by chunk: the script goes last into
/// `<head>` (before `</head>`, or before `<body>` when the head has no end tag), then the plan's
/// actions, and at the end of the document the list of actions that matched. Elements of the
/// origin's with one of [`OWN_IDS`] are removed. Otherwise a page without a `<head>` tag (a
/// fragment: htmx or Turbo partials) is left as it is, and so is a page where the script found
/// no place in the head.
pub fn stream<S>(
    input: S,
    plan: Plan,
    script: String,
    nonce: String,
) -> impl Stream<Item = worker::Result<Vec<u8>>>
where
    S: Stream<Item = worker::Result<Vec<u8>>> + Unpin + 'static,
{
    let script = Rc::new(script);
    // `<head>` seen; the script placed (inside the head, where the SDK looks for it).
    let head_seen = Rc::new(Cell::new(false));
    let placed = Rc::new(Cell::new(false));
    let mut settings = Settings::new()
        .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(MAX_MEMORY));
    let (seen, done, text) = (
        Rc::clone(&head_seen),
        Rc::clone(&placed),
        Rc::clone(&script),
    );
    settings = settings.append_element_content_handler(lol_html::element!("head", move |el| {
        if seen.replace(true) {
            return Ok(());
        }
        let (done, text) = (Rc::clone(&done), Rc::clone(&text));
        let before_end: lol_html::EndTagHandler<'static> = Box::new(move |end| {
            if !done.replace(true) {
                end.before(&text, ContentType::Html);
            }
            Ok(())
        });
        el.on_end_tag(before_end)
    }));
    // Without `</head>`, a script just before `<body>` still parses into the head.
    let (seen, done, text) = (
        Rc::clone(&head_seen),
        Rc::clone(&placed),
        Rc::clone(&script),
    );
    settings = settings.append_element_content_handler(lol_html::element!("body", move |el| {
        if seen.get() && !done.replace(true) {
            el.before(&text, ContentType::Html);
        }
        Ok(())
    }));
    for id in OWN_IDS {
        // An attribute selector: the id compared exactly, whatever the element.
        let Ok(selector) = format!("[id=\"{id}\"]").parse::<Selector>() else {
            continue;
        };
        settings = settings.append_element_content_handler((
            Cow::Owned(selector),
            ElementContentHandlers::default().element(|el: &mut Element| {
                el.remove();
                Ok(())
            }),
        ));
    }
    let matched = Rc::new(RefCell::new(Vec::<[usize; 2]>::new()));
    for (selector, action, at) in plan.actions {
        let kind = action.kind;
        let (placed, matched) = (Rc::clone(&placed), Rc::clone(&matched));
        settings = settings.append_element_content_handler((
            Cow::Owned(selector),
            ElementContentHandlers::default().element(move |el: &mut Element| {
                if placed.get() {
                    apply(el, &kind)?;
                    let mut matched = matched.borrow_mut();
                    if !matched.contains(&at) {
                        matched.push(at);
                    }
                }
                Ok(())
            }),
        ));
    }
    let done = Rc::clone(&placed);
    settings = settings.append_document_content_handler(lol_html::end!(move |end| {
        if done.get() {
            let mut matched = matched.take();
            matched.sort_unstable();
            end.append(&matched_script(&matched, &nonce), ContentType::Html);
        }
        Ok(())
    }));

    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = {
        let out = Rc::clone(&out);
        move |chunk: &[u8]| out.borrow_mut().extend_from_slice(chunk)
    };
    let rewriter = HtmlRewriter::new(settings, sink);
    let error = |e: lol_html::errors::RewritingError| {
        worker::Error::RustError(format!("rewriting the page: {e}"))
    };
    futures_util::stream::unfold(Some((rewriter, input, out)), move |state| async move {
        let (mut rewriter, mut input, out) = state?;
        loop {
            match input.next().await {
                Some(Ok(chunk)) => {
                    if let Err(e) = rewriter.write(&chunk) {
                        return Some((Err(error(e)), None));
                    }
                    let ready = std::mem::take(&mut *out.borrow_mut());
                    if !ready.is_empty() {
                        return Some((Ok(ready), Some((rewriter, input, out))));
                    }
                }
                Some(Err(e)) => return Some((Err(e), None)),
                None => {
                    if let Err(e) = rewriter.end() {
                        return Some((Err(error(e)), None));
                    }
                    let rest = std::mem::take(&mut *out.borrow_mut());
                    return Some((Ok(rest), None));
                }
            }
        }
    })
}

#[cfg(test)]
#[path = "rewrite_tests.rs"]
mod tests;

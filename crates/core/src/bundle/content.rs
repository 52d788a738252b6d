//! What an activity shows on each channel: web DOM actions, content cards, in-app messages and
//! code-based payloads. Text fields are templates (see `crate::template`), rendered per visitor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The content of one activity (or one experiment variant) on its channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "channel", rename_all = "camelCase", deny_unknown_fields)]
pub enum Content {
    /// DOM actions applied to the page.
    Web {
        /// Applied in order.
        actions: Vec<WebAction>,
    },
    /// A card in a feed.
    Card(Box<Card>),
    /// A message shown over the page or app.
    InApp(Box<InApp>),
    /// A JSON or HTML payload the host application renders itself.
    Code(CodeBased),
}

impl Channel {
    /// The channel's name as written in bundles.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Card => "card",
            Channel::InApp => "inApp",
            Channel::Code => "code",
        }
    }
}

impl Content {
    /// The channel's name as used in caps and reports.
    pub fn channel(&self) -> Channel {
        match self {
            Content::Web { .. } => Channel::Web,
            Content::Card(_) => Channel::Card,
            Content::InApp(_) => Channel::InApp,
            Content::Code(_) => Channel::Code,
        }
    }
}

/// The delivery channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    Web,
    Card,
    InApp,
    Code,
}

/// One DOM change on the elements a CSS selector finds. `selector` may pierce shadow roots with
/// `>>>` (e.g. `shop-header >>> .banner`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebAction {
    /// A CSS selector; every element it finds is changed, including elements that appear
    /// later (within the SDK's timeout) or that a single-page app re-renders.
    pub selector: String,
    #[serde(flatten)]
    pub kind: WebActionKind,
    /// Whether clicks on the changed element are tracked.
    #[serde(default)]
    pub track_clicks: bool,
}

/// The DOM action types (the set Adobe's Web SDK applies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WebActionKind {
    /// Replace the element's children with HTML (a template).
    SetHtml {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Replace the element's text (a template; never parsed as HTML).
    SetText {
        /// Text: a template rendered without escaping, set as the element's text.
        content: String,
    },
    /// Set attributes; values are templates escaped for attributes (URL-checked for href/src).
    SetAttribute {
        /// Attribute name → value template. Values of URL attributes (`href`, `src`, `action`,
        /// `formaction`, …) are URL-checked; `srcdoc` is HTML-escaped; the rest are text. Event
        /// handler attributes (`on…`) are refused.
        attributes: BTreeMap<String, String>,
    },
    /// Set CSS properties, optionally `!important`.
    SetStyle {
        /// CSS property → value, applied as written (not templates).
        properties: BTreeMap<String, String>,
        /// Whether the properties are set `!important`.
        #[serde(default)]
        important: bool,
    },
    /// Swap an `<img>` source (a URL template).
    SetImageSource {
        /// A URL template; a URL of a scheme not allowed renders as `about:invalid#waymark`.
        src: String,
    },
    /// Insert HTML before the element.
    InsertBefore {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Insert HTML after the element.
    InsertAfter {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Insert HTML as the element's last children.
    AppendHtml {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Insert HTML as the element's first children.
    PrependHtml {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Replace the element itself with HTML.
    ReplaceHtml {
        /// HTML: a template whose values are HTML-escaped; `{{{ }}}` escapes data too (only the bundle's own markup is markup).
        content: String,
    },
    /// Remove the element.
    Remove,
    /// Position the element (CSS `left`/`top`; numbers are pixels).
    Move {
        left: Option<String>,
        top: Option<String>,
    },
    /// Size the element (CSS `width`/`height`; numbers are pixels).
    Resize {
        width: Option<String>,
        height: Option<String>,
    },
    /// Move the child at index `from` to index `to`.
    Rearrange {
        /// The index of the child to move, among the element's children.
        from: u32,
        /// Where it goes, as an index among the children before the move.
        to: u32,
    },
    /// Only track clicks on the element.
    TrackClicks,
}

/// A content card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Card {
    /// Text (a template, not escaped: the UI sets it as text).
    pub title: String,
    #[serde(default)]
    /// Text (a template, not escaped).
    pub body: String,
    /// Shown by the default UI's layouts (`template`).
    pub image: Option<Image>,
    /// Where a click on the card leads (a URL template, URL-checked).
    pub action_url: Option<String>,
    /// Buttons under the card.
    #[serde(default)]
    pub buttons: Vec<Button>,
    /// Whether the visitor may dismiss it; a dismissed card is not shown again (reason
    /// `dismissed`).
    #[serde(default = "yes")]
    pub dismissible: bool,
    /// The layout the default UI uses.
    #[serde(default)]
    pub template: CardTemplate,
    /// RFC 3339; before it the card is not shown (reason `schedule`, `not published yet`).
    /// Shown to the host as is; the feed is in priority order (highest first, then by
    /// activity id), not by this date.
    pub published_at: Option<String>,
    /// RFC 3339; from it on the card is not shown (reason `schedule`, `expired`). Must be
    /// after `publishedAt`.
    pub expires_at: Option<String>,
    /// Free key/values handed to the host untouched.
    #[serde(default)]
    pub meta: BTreeMap<String, Value>,
}

fn yes() -> bool {
    true
}

/// An image with its dark-mode variant and alt text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// A URL template, URL-checked.
    pub url: String,
    /// Shown instead of `url` when the host is in dark mode (URL-checked).
    pub dark_url: Option<String>,
    /// Text (a template).
    #[serde(default)]
    pub alt: String,
}

/// A card or message button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Button {
    /// Echoed in the click event, so reports can tell buttons apart.
    pub id: String,
    /// Text (a template).
    pub text: String,
    /// Where the button leads; absent for a button that only dismisses.
    pub action_url: Option<String>,
    /// Whether pressing it also dismisses the card or message.
    #[serde(default)]
    pub dismiss: bool,
}

/// Card layouts of the default UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum CardTemplate {
    #[default]
    SmallImage,
    LargeImage,
    ImageOnly,
}

/// An in-app message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct InApp {
    pub layout: Layout,
    /// Where a banner sits (the other layouts are centred).
    #[serde(default)]
    pub position: Position,
    /// HTML shown in a sandboxed frame, or structured content for a native layout.
    #[serde(flatten)]
    pub body: InAppBody,
    /// Buttons under a structured message (an HTML message draws its own).
    #[serde(default)]
    pub buttons: Vec<Button>,
    /// When it shows: on page views (the default) or on an event.
    #[serde(default)]
    pub trigger: Trigger,
    /// How often one visitor sees it.
    #[serde(default)]
    pub frequency: DisplayFrequency,
}

/// In-app layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Layout {
    Modal,
    Banner,
    Fullscreen,
}

/// Where a banner sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Position {
    Top,
    #[default]
    Center,
    Bottom,
}

/// The body of an in-app message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum InAppBody {
    /// A full HTML document (a template), shown in a sandboxed iframe.
    Html { html: String },
    /// Title, body and image laid out by the SDK.
    Structured {
        /// Text (a template).
        title: String,
        /// Text (a template).
        #[serde(default)]
        body: String,
        image: Option<Image>,
    },
}

/// When an in-app message shows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "on", rename_all = "camelCase", deny_unknown_fields)]
pub enum Trigger {
    /// On every page view (or app screen) of its surface.
    #[default]
    PageView,
    /// When an event of this type happens and, if given, the condition holds over
    /// `{profile, context, event}`.
    Event {
        /// The event's type, e.g. `addToCart`.
        #[serde(rename = "type")]
        event_type: String,
        /// Must also hold; the event is visible as `event`.
        condition: Option<super::Condition>,
    },
}

/// How often one visitor sees an in-app message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "show", rename_all = "camelCase", deny_unknown_fields)]
pub enum DisplayFrequency {
    #[default]
    EveryTime,
    Once,
    UntilClicked,
    /// At most `times` displays.
    Times {
        times: u32,
    },
}

/// A payload for code-based experiences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "format", rename_all = "camelCase", deny_unknown_fields)]
pub enum CodeBased {
    /// JSON.
    Json {
        /// Any JSON; its string values are templates, not escaped.
        content: Value,
    },
    /// HTML.
    Html {
        /// A template whose values are HTML-escaped.
        content: String,
    },
}

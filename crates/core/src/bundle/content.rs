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
    Web { actions: Vec<WebAction> },
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
        content: String,
    },
    /// Replace the element's text (a template; never parsed as HTML).
    SetText {
        content: String,
    },
    /// Set attributes; values are templates escaped for attributes (URL-checked for href/src).
    SetAttribute {
        attributes: BTreeMap<String, String>,
    },
    /// Set CSS properties, optionally `!important`.
    SetStyle {
        properties: BTreeMap<String, String>,
        #[serde(default)]
        important: bool,
    },
    /// Swap an `<img>` source (a URL template).
    SetImageSource {
        src: String,
    },
    InsertBefore {
        content: String,
    },
    InsertAfter {
        content: String,
    },
    AppendHtml {
        content: String,
    },
    PrependHtml {
        content: String,
    },
    /// Replace the element itself with HTML.
    ReplaceHtml {
        content: String,
    },
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
        from: u32,
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
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub image: Option<Image>,
    pub action_url: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
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
    pub url: String,
    pub dark_url: Option<String>,
    #[serde(default)]
    pub alt: String,
}

/// A card or message button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Button {
    pub id: String,
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
    #[serde(default)]
    pub position: Position,
    /// HTML shown in a sandboxed frame, or structured content for a native layout.
    #[serde(flatten)]
    pub body: InAppBody,
    #[serde(default)]
    pub buttons: Vec<Button>,
    #[serde(default)]
    pub trigger: Trigger,
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
        title: String,
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
        #[serde(rename = "type")]
        event_type: String,
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
    Times {
        times: u32,
    },
}

/// A payload for code-based experiences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "format", rename_all = "camelCase", deny_unknown_fields)]
pub enum CodeBased {
    /// JSON whose string values are templates.
    Json { content: Value },
    /// An HTML template.
    Html { content: String },
}

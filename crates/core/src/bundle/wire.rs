//! The bundle's types in the compiled bundle's binary encoding (see `crate::wire`).

use crate::wire::{Reader, Wire, WireError, Writer, wire_enum, wire_struct};

use super::{
    Activity, Bundle, Button, Cap, CapEvent, CapScope, Card, CardTemplate, Channel, ChannelCap,
    CodeBased, Condition, Content, DecisionPolicy, DisplayFrequency, Experiment, Image, InApp,
    InAppBody, Layout, Offer, Period, Placement, Position, Ranking, Representation, Reward,
    Schedule, Settings, Surface, TimeWindow, Trigger, Variant, WebAction, WebActionKind,
};

wire_struct!(Bundle {
    format,
    id,
    revision,
    settings,
    audiences,
    partials,
    activities,
    offers,
    placements,
    policies,
    exhausted,
    paused,
});
wire_struct!(Settings {
    personalize_when_consent_pending,
    channel_caps,
    card_feed_size,
    app_schemes,
});
wire_enum!(Condition {
    0 => Text(src),
    1 => JsonLogic { jsonlogic },
    2 => Audience { audience },
});
wire_struct!(Activity {
    id,
    name,
    surfaces,
    audience,
    schedule,
    priority,
    content,
    experiment,
    caps,
    quiet_hours,
});
wire_struct!(Schedule { start, end });
wire_struct!(Experiment {
    id,
    seed,
    holdout,
    variants,
    bandit,
    reward,
});
wire_struct!(Reward {
    event,
    window_hours
});
wire_struct!(Variant {
    id,
    weight,
    content,
});
wire_struct!(Cap {
    event,
    period,
    max,
    scope,
});
wire_enum!(CapScope {
    0 => Profile,
    1 => Global,
});
wire_enum!(CapEvent {
    0 => Display,
    1 => Click,
    2 => Dismiss,
    3 => Custom(name),
});
wire_enum!(Period {
    0 => Session,
    1 => Day,
    2 => Week,
    3 => Month,
    4 => Lifetime,
});
wire_struct!(TimeWindow { from, to, days });
wire_struct!(ChannelCap {
    channel,
    event,
    period,
    max,
});
wire_enum!(Content {
    0 => Web { actions },
    1 => Card(card),
    2 => InApp(message),
    3 => Code(code),
});
wire_enum!(Channel {
    0 => Web,
    1 => Card,
    2 => InApp,
    3 => Code,
});
wire_struct!(WebAction {
    selector,
    kind,
    track_clicks,
});
wire_enum!(WebActionKind {
    0 => SetHtml { content },
    1 => SetText { content },
    2 => SetAttribute { attributes },
    3 => SetStyle { properties, important },
    4 => SetImageSource { src },
    5 => InsertBefore { content },
    6 => InsertAfter { content },
    7 => AppendHtml { content },
    8 => PrependHtml { content },
    9 => ReplaceHtml { content },
    10 => Remove,
    11 => Move { left, top },
    12 => Resize { width, height },
    13 => Rearrange { from, to },
    14 => TrackClicks,
});
wire_struct!(Card {
    title,
    body,
    image,
    action_url,
    buttons,
    dismissible,
    template,
    published_at,
    expires_at,
    meta,
});
wire_struct!(Image { url, dark_url, alt });
wire_struct!(Button {
    id,
    text,
    action_url,
    dismiss,
});
wire_enum!(CardTemplate {
    0 => SmallImage,
    1 => LargeImage,
    2 => ImageOnly,
});
wire_struct!(InApp {
    layout,
    position,
    body,
    buttons,
    trigger,
    frequency,
});
wire_enum!(Layout {
    0 => Modal,
    1 => Banner,
    2 => Fullscreen,
});
wire_enum!(Position {
    0 => Top,
    1 => Center,
    2 => Bottom,
});
wire_enum!(InAppBody {
    0 => Html { html },
    1 => Structured { title, body, image },
});
wire_enum!(Trigger {
    0 => PageView,
    1 => Event { event_type, condition },
});
wire_enum!(DisplayFrequency {
    0 => EveryTime,
    1 => Once,
    2 => UntilClicked,
    3 => Times { times },
});
wire_enum!(CodeBased {
    0 => Json { content },
    1 => Html { content },
});
wire_struct!(Offer {
    id,
    name,
    eligibility,
    priority,
    schedule,
    tags,
    attributes,
    caps,
    representations,
});
wire_enum!(Representation {
    0 => Text { content },
    1 => Html { content },
    2 => Image { url, alt },
    3 => Json { content },
});
wire_struct!(Placement { id, surface });
wire_struct!(DecisionPolicy {
    id,
    placement,
    collection,
    ranking,
    top,
    fallback,
});
wire_enum!(Ranking {
    0 => Priority,
    1 => Formula { formula },
    2 => Bandit { weights },
});

/// A surface travels as its normalised text and is parsed again (parsing is idempotent on
/// normalised text, and never trusts offsets from the wire).
impl Wire for Surface {
    fn put(&self, w: &mut Writer) {
        self.to_string().put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let text = String::get(r)?;
        Surface::parse(&text).map_err(|_| r.error("invalid surface"))
    }
}

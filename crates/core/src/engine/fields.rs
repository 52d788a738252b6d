//! Where a bundle's templates are: one walk, used by the compiler (to compile each template)
//! and by compiled-bundle loading (to give each decoded template back its name and source,
//! which the compiled bundle does not repeat).

use serde_json::Value;

use crate::bundle::{Bundle, CodeBased, Content, InAppBody, Representation, WebActionKind};

/// A template field's place: `offer` is the offer's index for the templates of offer
/// representations; `html` whether the field is HTML (rendered with `Escape::Html`).
#[derive(Clone, Copy)]
pub(super) struct Place {
    pub(super) offer: Option<usize>,
    pub(super) html: bool,
}

/// The visitor of [`each_template`]: pointer, source, place.
type Visit<'v> = dyn FnMut(&str, &str, Place) + 'v;

/// Calls `visit(pointer, source, place)` for every template field of `bundle` in bundle order.
/// Partials are not included (they are keyed by name, not source).
pub(super) fn each_template(bundle: &Bundle, visit: &mut Visit<'_>) {
    let mut walk = Walk {
        at: String::new(),
        offer: None,
        visit,
    };
    for (i, activity) in bundle.activities.iter().enumerate() {
        walk.at = format!("/activities/{i}/content");
        if let Some(content) = &activity.content {
            walk.content(content);
        }
        for (v, variant) in activity
            .experiment
            .iter()
            .flat_map(|e| e.variants.iter().enumerate())
        {
            if let Some(content) = &variant.content {
                walk.at = format!("/activities/{i}/experiment/variants/{v}/content");
                walk.content(content);
            }
        }
    }
    for (i, offer) in bundle.offers.iter().enumerate() {
        walk.offer = Some(i);
        for (placement, representation) in &offer.representations {
            walk.at = format!("/offers/{i}/representations");
            crate::bundle::push_pointer(&mut walk.at, placement);
            walk.representation(representation);
        }
    }
}

struct Walk<'v, 'f> {
    /// The pointer to where the walk is.
    at: String,
    offer: Option<usize>,
    visit: &'v mut Visit<'f>,
}

impl Walk<'_, '_> {
    /// Visits the text field `src` at the current pointer plus `segments`.
    fn field(&mut self, segments: &[&str], src: &str) {
        self.visit_field(segments, src, false);
    }

    /// Visits the HTML field `src` at the current pointer plus `segments`.
    fn html(&mut self, segments: &[&str], src: &str) {
        self.visit_field(segments, src, true);
    }

    fn visit_field(&mut self, segments: &[&str], src: &str, html: bool) {
        let len = self.at.len();
        for segment in segments {
            crate::bundle::push_pointer(&mut self.at, segment);
        }
        let place = Place {
            offer: self.offer,
            html,
        };
        (self.visit)(&self.at, src, place);
        self.at.truncate(len);
    }

    fn content(&mut self, content: &Content) {
        match content {
            Content::Web { actions } => {
                for (i, action) in actions.iter().enumerate() {
                    let i = i.to_string();
                    match &action.kind {
                        WebActionKind::SetText { content } => {
                            self.field(&["actions", &i, "content"], content)
                        }
                        WebActionKind::SetHtml { content }
                        | WebActionKind::InsertBefore { content }
                        | WebActionKind::InsertAfter { content }
                        | WebActionKind::AppendHtml { content }
                        | WebActionKind::PrependHtml { content }
                        | WebActionKind::ReplaceHtml { content } => {
                            self.html(&["actions", &i, "content"], content)
                        }
                        WebActionKind::SetAttribute { attributes } => {
                            for (name, value) in attributes {
                                let segments = ["actions", &i, "attributes", name];
                                // An iframe's document is HTML (see `render`).
                                if name.eq_ignore_ascii_case("srcdoc") {
                                    self.html(&segments, value);
                                } else {
                                    self.field(&segments, value);
                                }
                            }
                        }
                        WebActionKind::SetImageSource { src } => {
                            self.field(&["actions", &i, "src"], src)
                        }
                        WebActionKind::SetStyle { .. }
                        | WebActionKind::Remove
                        | WebActionKind::Move { .. }
                        | WebActionKind::Resize { .. }
                        | WebActionKind::Rearrange { .. }
                        | WebActionKind::TrackClicks => {}
                    }
                }
            }
            Content::Card(card) => {
                self.field(&["title"], &card.title);
                self.field(&["body"], &card.body);
                if let Some(url) = &card.action_url {
                    self.field(&["actionUrl"], url);
                }
                if let Some(image) = &card.image {
                    self.image(image);
                }
                self.buttons(&card.buttons);
            }
            Content::InApp(message) => {
                match &message.body {
                    InAppBody::Html { html } => self.html(&["html"], html),
                    InAppBody::Structured { title, body, image } => {
                        self.field(&["title"], title);
                        self.field(&["body"], body);
                        if let Some(image) = image {
                            self.image(image);
                        }
                    }
                }
                self.buttons(&message.buttons);
            }
            Content::Code(CodeBased::Html { content }) => self.html(&["content"], content),
            Content::Code(CodeBased::Json { content }) => self.json_at("content", content),
        }
    }

    /// A card's or message's image: its URLs and its alt text are templates.
    fn image(&mut self, image: &crate::bundle::Image) {
        self.field(&["image", "url"], &image.url);
        if let Some(dark) = &image.dark_url {
            self.field(&["image", "darkUrl"], dark);
        }
        self.field(&["image", "alt"], &image.alt);
    }

    fn buttons(&mut self, buttons: &[crate::bundle::Button]) {
        for (i, button) in buttons.iter().enumerate() {
            let i = i.to_string();
            self.field(&["buttons", &i, "text"], &button.text);
            if let Some(url) = &button.action_url {
                self.field(&["buttons", &i, "actionUrl"], url);
            }
        }
    }

    fn representation(&mut self, representation: &Representation) {
        match representation {
            Representation::Text { content } => self.field(&["content"], content),
            Representation::Html { content } => self.html(&["content"], content),
            Representation::Image { url, alt } => {
                self.field(&["url"], url);
                self.field(&["alt"], alt);
            }
            Representation::Json { content } => self.json_at("content", content),
        }
    }

    /// Every string in a JSON payload (at the current pointer plus `segment`) is a template.
    fn json_at(&mut self, segment: &str, value: &Value) {
        let len = self.at.len();
        crate::bundle::push_pointer(&mut self.at, segment);
        match value {
            Value::String(src) => self.field(&[], src),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.json_at(&i.to_string(), item);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.json_at(key, item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
        self.at.truncate(len);
    }
}

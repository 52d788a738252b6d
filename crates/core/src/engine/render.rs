//! Rendering chosen content: every template field with the escaping its destination needs.
//!
//! Web actions and cards are applied through DOM APIs (`textContent`, `setAttribute`), so text
//! and attribute values are rendered unescaped; HTML fields were compiled as HTML
//! ([`Template::compile_html`](crate::template::Template::compile_html)), so each value is
//! escaped for where it lands (text, attribute value, checked URL); every URL field is checked
//! and replaced by [`UNSAFE_URL`](crate::template::UNSAFE_URL) when its scheme could run script.

use serde_json::{Map, Value};

use crate::bundle::{
    Button, Card, CodeBased, Content, Image, InApp, InAppBody, Representation, WebActionKind,
};
use crate::template::{Escape, RenderOptions, UNSAFE_URL};

use super::Run;
use super::output::{
    Rendered, RenderedAction, RenderedButton, RenderedCard, RenderedImage, RenderedInApp,
};

/// How a field is rendered.
#[derive(Clone, Copy)]
enum Field {
    Html,
    Text,
    Url,
}

impl Run<'_> {
    /// Renders a piece of activity content.
    pub(super) fn render_content(
        &mut self,
        id: &str,
        content: &Content,
    ) -> Result<Rendered, String> {
        Ok(match content {
            Content::Web { actions } => {
                let mut out = Vec::with_capacity(actions.len());
                for action in actions {
                    out.push(RenderedAction {
                        selector: action.selector.clone(),
                        kind: self.web_action(id, &action.kind)?,
                        track_clicks: action.track_clicks,
                    });
                }
                Rendered::Web { actions: out }
            }
            Content::Card(card) => Rendered::Card(Box::new(self.card(id, card)?)),
            Content::InApp(message) => Rendered::InApp(Box::new(self.in_app(id, message)?)),
            Content::Code(CodeBased::Html { content }) => Rendered::Code {
                format: "html".into(),
                content: Value::String(self.field(id, content, Field::Html)?),
            },
            Content::Code(CodeBased::Json { content }) => Rendered::Code {
                format: "json".into(),
                content: self.json(id, content)?,
            },
        })
    }

    /// Renders an offer's representation for a placement.
    pub(super) fn render_representation(
        &mut self,
        id: &str,
        representation: &Representation,
    ) -> Result<(String, Value), String> {
        Ok(match representation {
            Representation::Text { content } => (
                "text".into(),
                Value::String(self.field(id, content, Field::Text)?),
            ),
            Representation::Html { content } => (
                "html".into(),
                Value::String(self.field(id, content, Field::Html)?),
            ),
            Representation::Image { url, alt } => {
                let mut image = Map::new();
                image.insert(
                    "url".into(),
                    Value::String(self.field(id, url, Field::Url)?),
                );
                image.insert(
                    "alt".into(),
                    Value::String(self.field(id, alt, Field::Text)?),
                );
                ("image".into(), Value::Object(image))
            }
            Representation::Json { content } => ("json".into(), self.json(id, content)?),
        })
    }

    fn web_action(&mut self, id: &str, kind: &WebActionKind) -> Result<WebActionKind, String> {
        use WebActionKind as K;
        Ok(match kind {
            K::SetHtml { content } => K::SetHtml {
                content: self.field(id, content, Field::Html)?,
            },
            K::SetText { content } => K::SetText {
                content: self.field(id, content, Field::Text)?,
            },
            K::InsertBefore { content } => K::InsertBefore {
                content: self.field(id, content, Field::Html)?,
            },
            K::InsertAfter { content } => K::InsertAfter {
                content: self.field(id, content, Field::Html)?,
            },
            K::AppendHtml { content } => K::AppendHtml {
                content: self.field(id, content, Field::Html)?,
            },
            K::PrependHtml { content } => K::PrependHtml {
                content: self.field(id, content, Field::Html)?,
            },
            K::ReplaceHtml { content } => K::ReplaceHtml {
                content: self.field(id, content, Field::Html)?,
            },
            K::SetAttribute { attributes } => {
                let mut out = attributes.clone();
                for (name, value) in out.iter_mut() {
                    let name = name.to_ascii_lowercase();
                    let field = if crate::template::html::URL_ATTRIBUTES.contains(&name.as_str()) {
                        Field::Url
                    } else if name == "srcdoc" {
                        // An iframe's document: HTML, so data in it is escaped.
                        Field::Html
                    } else {
                        Field::Text
                    };
                    *value = self.field(id, value, field)?;
                }
                K::SetAttribute { attributes: out }
            }
            K::SetImageSource { src } => K::SetImageSource {
                src: self.field(id, src, Field::Url)?,
            },
            other => other.clone(),
        })
    }

    fn card(&mut self, id: &str, card: &Card) -> Result<RenderedCard, String> {
        Ok(RenderedCard {
            id: id.to_owned(),
            title: self.field(id, &card.title, Field::Text)?,
            body: self.field(id, &card.body, Field::Text)?,
            image: card
                .image
                .as_ref()
                .map(|image| self.image(id, image))
                .transpose()?,
            action_url: card
                .action_url
                .as_ref()
                .map(|url| self.field(id, url, Field::Url))
                .transpose()?,
            buttons: self.buttons(id, &card.buttons)?,
            dismissible: card.dismissible,
            template: card.template,
            published_at: card.published_at.clone(),
            expires_at: card.expires_at.clone(),
            meta: card.meta.clone(),
        })
    }

    fn in_app(&mut self, id: &str, message: &InApp) -> Result<RenderedInApp, String> {
        let mut out = RenderedInApp {
            layout: message.layout,
            position: message.position,
            html: None,
            title: None,
            body: None,
            image: None,
            buttons: self.buttons(id, &message.buttons)?,
        };
        match &message.body {
            InAppBody::Html { html } => out.html = Some(self.field(id, html, Field::Html)?),
            InAppBody::Structured { title, body, image } => {
                out.title = Some(self.field(id, title, Field::Text)?);
                out.body = Some(self.field(id, body, Field::Text)?);
                out.image = image
                    .as_ref()
                    .map(|image| self.image(id, image))
                    .transpose()?;
            }
        }
        Ok(out)
    }

    fn image(&mut self, id: &str, image: &Image) -> Result<RenderedImage, String> {
        Ok(RenderedImage {
            url: self.field(id, &image.url, Field::Url)?,
            dark_url: image
                .dark_url
                .as_ref()
                .map(|url| self.field(id, url, Field::Url))
                .transpose()?,
            alt: self.field(id, &image.alt, Field::Text)?,
        })
    }

    fn buttons(&mut self, id: &str, buttons: &[Button]) -> Result<Vec<RenderedButton>, String> {
        buttons
            .iter()
            .map(|button| {
                Ok(RenderedButton {
                    id: button.id.clone(),
                    text: self.field(id, &button.text, Field::Text)?,
                    action_url: button
                        .action_url
                        .as_ref()
                        .map(|url| self.field(id, url, Field::Url))
                        .transpose()?,
                    dismiss: button.dismiss,
                })
            })
            .collect()
    }

    /// Every string of a JSON payload is a template, rendered as plain text.
    fn json(&mut self, id: &str, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(src) => Value::String(self.field(id, src, Field::Text)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.json(id, item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    out.insert(key.clone(), self.json(id, item)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Renders one template field.
    fn field(&mut self, id: &str, src: &str, field: Field) -> Result<String, String> {
        let engine = self.engine;
        // Not compiled: a field whose template was not part of the bundle (cannot happen for a
        // compiled bundle); render it as literal text.
        let Some(template) = engine.templates.get(src) else {
            return Ok(src.to_owned());
        };
        let options = match field {
            Field::Html => &self.render_html,
            Field::Text | Field::Url => &self.render_text,
        };
        let rendered = template
            .render_with(
                &self.data,
                &engine.partials,
                options,
                &engine.tables_for(self.input),
            )
            .map_err(|e| e.to_string())?;
        for diagnostic in &rendered.diagnostics {
            self.diagnostic(format!("{id}: {diagnostic}"));
        }
        let mut text = rendered.text;
        if matches!(field, Field::Url)
            && !crate::template::url_allowed(&text, &engine.bundle.settings.app_schemes)
        {
            self.diagnostic(format!("{id}: unsafe URL replaced"));
            text = UNSAFE_URL.to_owned();
        }
        Ok(text)
    }
}

/// The render options of one decision: `context.locale` (else en-US), the profile's time zone
/// (else UTC), "now"; HTML-escaped or plain.
pub(super) fn options(
    input: &super::DecideInput,
    data: &Value,
    zone_known: bool,
    app_schemes: &[String],
) -> (RenderOptions, RenderOptions) {
    let locale = data
        .get("context")
        .and_then(|c| c.get("locale"))
        .and_then(Value::as_str)
        .unwrap_or("en-US");
    let html = RenderOptions {
        escape: Escape::Html,
        // Data never produces markup, not even through `{{{raw}}}`: trusted HTML belongs in
        // the bundle's templates and partials.
        allow_raw: false,
        app_schemes: app_schemes.to_vec(),
        now_ms: input.now,
        locale: locale.to_owned(),
        // The profile's zone when the engine knows it, else UTC (as for quiet hours and caps).
        time_zone: match &input.snapshot.time_zone {
            Some(name) if zone_known => name.clone(),
            _ => "UTC".into(),
        },
        ..RenderOptions::default()
    };
    let text = RenderOptions {
        escape: Escape::None,
        ..html.clone()
    };
    (html, text)
}

//! `TemplateSet`: named templates and partials, rendered one at a time or all at once.

use wasm_bindgen::prelude::*;
use waymark_core::template::{Partials, RenderOptions, Template};

use crate::{Data, js_error, millis, parse_json};

/// Compiled templates (rendered by name, or all in the order they were added) and the
/// partials they share.
#[wasm_bindgen]
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    templates: Vec<Template>,
    partials: Partials,
    options: RenderOptions,
}

#[wasm_bindgen]
impl TemplateSet {
    /// An empty set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> TemplateSet {
        TemplateSet::default()
    }

    /// Compiles `src` as the template `name` (replacing one of that name). Throws with the
    /// located compile error.
    pub fn add(&mut self, name: &str, src: &str) -> Result<(), JsError> {
        let template = Template::compile(name, src).map_err(js_error)?;
        match self.templates.iter_mut().find(|t| t.name() == name) {
            Some(slot) => *slot = template,
            None => self.templates.push(template),
        }
        Ok(())
    }

    /// Compiles `src` as the partial `name` for `{{> name}}`.
    #[wasm_bindgen(js_name = addPartial)]
    pub fn add_partial(&mut self, name: &str, src: &str) -> Result<(), JsError> {
        self.partials.compile(name, src).map_err(js_error)
    }

    /// Sets the default render options (see `render`) of this set, used by `renderAll` and as
    /// the base of `render`'s own options.
    #[wasm_bindgen(js_name = setOptions)]
    pub fn set_options(&mut self, options_json: &str) -> Result<(), JsError> {
        self.options = self.options_with(Some(options_json))?;
        Ok(())
    }

    /// The template names, in the order of `renderAll`.
    pub fn names(&self) -> Vec<String> {
        self.templates
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    /// Renders the template `name` with `dataJson`. `optionsJson` is `null`/`undefined` or a
    /// JSON object with `escape` (`"html"`, `"attribute"`, `"url"`, `"json"`, `"none"`),
    /// `now` (unix ms or RFC 3339), `locale` and `timeZone`.
    pub fn render(
        &self,
        name: &str,
        data_json: &str,
        options_json: Option<String>,
    ) -> Result<String, JsError> {
        let template = self
            .templates
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| js_error(format_args!("no template named `{name}`")))?;
        let opts = self.options_with(options_json.as_deref())?;
        let data = parse_json("data", data_json)?;
        let rendered = template
            .render(&data, &self.partials, &opts)
            .map_err(js_error)?;
        Ok(rendered.text)
    }

    /// Renders every template with `dataJson` at `nowMs` and the set's options, in the order
    /// they were added; the data is parsed once. Throws on the first error.
    #[wasm_bindgen(js_name = renderAll)]
    pub fn render_all(&self, data_json: &str, now_ms: f64) -> Result<Vec<String>, JsError> {
        self.render_all_data(&Data(parse_json("data", data_json)?), now_ms)
    }

    /// As `renderAll`, over data parsed beforehand (`new Data(json)`).
    #[wasm_bindgen(js_name = renderAllData)]
    pub fn render_all_data(&self, data: &Data, now_ms: f64) -> Result<Vec<String>, JsError> {
        let data = &data.0;
        let opts = RenderOptions {
            now_ms: millis(now_ms),
            ..self.options.clone()
        };
        self.templates
            .iter()
            .map(|t| {
                t.render(data, &self.partials, &opts)
                    .map(|r| r.text)
                    .map_err(js_error)
            })
            .collect()
    }
}

impl TemplateSet {
    /// The set's options with those of `options_json` (a JSON object) applied.
    fn options_with(&self, options_json: Option<&str>) -> Result<RenderOptions, JsError> {
        let mut opts = self.options.clone();
        if let Some(json) = options_json {
            let options = parse_json("options", json)?;
            let map = options
                .as_object()
                .ok_or_else(|| js_error("the render options must be a JSON object"))?;
            for (key, value) in map {
                opts.set(key, value).map_err(js_error)?;
            }
        }
        Ok(opts)
    }
}

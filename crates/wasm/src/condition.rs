//! `Condition` and `ConditionSet`: compiled conditions (text or JsonLogic).

use wasm_bindgen::prelude::*;
use waymark_core::expr::{Env, Expr};

use crate::{Data, js_error, millis, parse_json};

/// A compiled condition (`waymark_core::expr::Expr`).
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Condition(Expr);

#[wasm_bindgen]
impl Condition {
    /// Compiles the text language. Throws with the caret-drawn parse error.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(src: &str) -> Result<Condition, JsError> {
        Expr::parse(src).map(Condition).map_err(js_error)
    }

    /// Compiles a JsonLogic rule given as JSON text. Throws with the rule's JSON pointer.
    #[wasm_bindgen(js_name = fromJsonLogic)]
    pub fn from_json_logic(rule_json: &str) -> Result<Condition, JsError> {
        let rule = parse_json("rule", rule_json)?;
        Expr::from_jsonlogic(&rule).map(Condition).map_err(js_error)
    }

    /// The value of the condition for `dataJson` at `nowMs`, as JSON text.
    pub fn evaluate(&self, data_json: &str, now_ms: f64) -> Result<String, JsError> {
        let data = parse_json("data", data_json)?;
        let result = self.0.eval(&data, &Env::new(millis(now_ms)));
        serde_json::to_string(&result.value).map_err(js_error)
    }

    /// Whether the condition's value is truthy for `dataJson` at `nowMs`.
    pub fn matches(&self, data_json: &str, now_ms: f64) -> Result<bool, JsError> {
        let data = parse_json("data", data_json)?;
        Ok(self.0.matches(&data, &Env::new(millis(now_ms))))
    }
}

/// Many conditions evaluated together: the data is parsed once and every result comes back
/// in one boundary crossing.
#[wasm_bindgen]
#[derive(Debug, Clone, Default)]
pub struct ConditionSet(Vec<Expr>);

#[wasm_bindgen]
impl ConditionSet {
    /// An empty set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> ConditionSet {
        ConditionSet::default()
    }

    /// Adds a text condition; returns its index in the results.
    #[wasm_bindgen(js_name = addText)]
    pub fn add_text(&mut self, src: &str) -> Result<u32, JsError> {
        self.push(Expr::parse(src).map_err(js_error)?)
    }

    /// Adds a JsonLogic rule (JSON text); returns its index in the results.
    #[wasm_bindgen(js_name = addJsonLogic)]
    pub fn add_json_logic(&mut self, rule_json: &str) -> Result<u32, JsError> {
        let rule = parse_json("rule", rule_json)?;
        self.push(Expr::from_jsonlogic(&rule).map_err(js_error)?)
    }

    /// Adds a compiled `Condition`; returns its index in the results.
    #[wasm_bindgen(js_name = addCondition)]
    pub fn add_condition(&mut self, condition: &Condition) -> Result<u32, JsError> {
        self.push(condition.0.clone())
    }

    /// The number of conditions.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Whether each condition matches `dataJson` at `nowMs`: 1 or 0 per condition, in order.
    #[wasm_bindgen(js_name = evaluateAll)]
    pub fn evaluate_all(&self, data_json: &str, now_ms: f64) -> Result<Vec<u8>, JsError> {
        let data = parse_json("data", data_json)?;
        let env = Env::new(millis(now_ms));
        Ok(self
            .0
            .iter()
            .map(|e| u8::from(e.matches(&data, &env)))
            .collect())
    }

    /// As `evaluateAll`, over data parsed beforehand (`new Data(json)`).
    #[wasm_bindgen(js_name = evaluateAllData)]
    pub fn evaluate_all_data(&self, data: &Data, now_ms: f64) -> Vec<u8> {
        let env = Env::new(millis(now_ms));
        self.0
            .iter()
            .map(|e| u8::from(e.matches(&data.0, &env)))
            .collect()
    }

    /// The value of each condition for `dataJson` at `nowMs`, as one JSON array text.
    #[wasm_bindgen(js_name = valuesAll)]
    pub fn values_all(&self, data_json: &str, now_ms: f64) -> Result<String, JsError> {
        let data = parse_json("data", data_json)?;
        let env = Env::new(millis(now_ms));
        let values: Vec<_> = self.0.iter().map(|e| e.eval(&data, &env).value).collect();
        serde_json::to_string(&values).map_err(js_error)
    }
}

impl ConditionSet {
    fn push(&mut self, e: Expr) -> Result<u32, JsError> {
        let index = u32::try_from(self.0.len()).map_err(js_error)?;
        self.0.push(e);
        Ok(index)
    }
}

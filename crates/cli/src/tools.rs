//! `waymark eval` and `waymark render`: try a condition or a template from the shell.
//!
//! Both read one JSON object on stdin and write the result on stdout. Errors (bad input JSON
//! with its line and column, a parse error drawn with a caret, a JsonLogic error with its JSON
//! pointer, a template error with its line and column) go to stderr and the exit status is 1.
//! Evaluation and render diagnostics are printed to stderr as `warning: ...` lines and do not
//! change the exit status.

use std::io::{Read, Write};

use serde_json::{Map, Value};
use waymark_core::expr::{Env, Expr};
use waymark_core::template::{Partials, RenderOptions, Template};

/// `waymark eval`: `{"expr": "...", "data": {...}, "now"?: ms | "RFC 3339"}` or
/// `{"jsonlogic": rule, "data": {...}, "now"?}`; prints the value as one line of JSON.
pub fn eval() -> Result<(), String> {
    let mut input = read_input()?;
    check_keys(&input, &["expr", "jsonlogic", "data", "now"])?;
    let now_ms = now(&input)?;
    let data = input.remove("data").unwrap_or(Value::Null);
    let expr = match (input.remove("expr"), input.remove("jsonlogic")) {
        (Some(Value::String(src)), None) => Expr::parse(&src).map_err(|e| e.to_string())?,
        (Some(_), None) => return Err("`expr` must be a string".into()),
        (None, Some(rule)) => Expr::from_jsonlogic(&rule).map_err(|e| e.to_string())?,
        (Some(_), Some(_)) => return Err("give either `expr` or `jsonlogic`, not both".into()),
        (None, None) => return Err("the input needs an `expr` or a `jsonlogic` rule".into()),
    };
    let result = expr.eval(&data, &Env::new(now_ms));
    for d in &result.diagnostics {
        warn(&d.to_string());
    }
    let text = serde_json::to_string(&result.value).map_err(|e| e.to_string())?;
    write_stdout(&format!("{text}\n"))
}

/// `waymark render`: `{"template": "...", "data": {...}, "partials"?: {"name": "..."},
/// "escape"?: "html" | "attribute" | "url" | "json" | "none", "now"?, "locale"?, "timeZone"?}`;
/// prints exactly the rendered text.
pub fn render() -> Result<(), String> {
    let mut input = read_input()?;
    check_keys(
        &input,
        &[
            "template", "data", "partials", "escape", "now", "locale", "timeZone",
        ],
    )?;
    let mut opts = RenderOptions {
        now_ms: now(&input)?,
        ..RenderOptions::default()
    };
    for key in ["escape", "locale", "timeZone"] {
        if let Some(value) = input.get(key) {
            opts.set(key, value)?;
        }
    }
    let mut partials = Partials::new();
    match input.get("partials") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, src) in map {
                let src = src
                    .as_str()
                    .ok_or_else(|| format!("partial `{name}` must be a string"))?;
                partials.compile(name, src).map_err(|e| e.to_string())?;
            }
        }
        Some(_) => return Err("`partials` must be an object of name: source".into()),
    }
    let src = match input.get("template") {
        Some(Value::String(src)) => src,
        Some(_) => return Err("`template` must be a string".into()),
        None => return Err("the input needs a `template`".into()),
    };
    let template = Template::compile("template", src).map_err(|e| e.to_string())?;
    let data = input.remove("data").unwrap_or(Value::Null);
    let rendered = template
        .render(&data, &partials, &opts)
        .map_err(|e| e.to_string())?;
    for d in &rendered.diagnostics {
        warn(&d.to_string());
    }
    write_stdout(&rendered.text)
}

/// Reads stdin as one JSON object.
fn read_input() -> Result<Map<String, Value>, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("reading stdin: {e}"))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the input must be a JSON object".into()),
        Err(e) => Err(format!(
            "invalid input JSON at line {}, column {}: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )),
    }
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// Rejects keys the command does not know (a typo would otherwise be ignored silently).
fn check_keys(input: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match input.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown input key `{k}` (expected {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// `now`: unix milliseconds or an RFC 3339 string; the system clock when absent.
fn now(input: &Map<String, Value>) -> Result<i64, String> {
    match input.get("now") {
        None | Some(Value::Null) => {
            let since = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?;
            i64::try_from(since.as_millis()).map_err(|e| e.to_string())
        }
        Some(value) => {
            let mut opts = RenderOptions::default();
            opts.set("now", value)?;
            Ok(opts.now_ms)
        }
    }
}

fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Writes `text` as is; a closed pipe is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("writing output: {e}")),
        _ => Ok(()),
    }
}

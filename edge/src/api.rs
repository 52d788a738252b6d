//! Talking to the central API and to KV: small helpers with string errors.

use worker::{Fetch, Headers, KvStore, Method, Request, RequestInit, Response};

/// `GET {api}{path}` with the client key and the given optional headers.
pub async fn get(
    api: &str,
    key: &str,
    path: &str,
    extra: &[(&str, Option<&str>)],
) -> Result<Response, String> {
    send(api, key, Method::Get, path, extra, None).await
}

/// `POST {api}{path}` with a JSON body.
pub async fn post_json(api: &str, key: &str, path: &str, body: String) -> Result<Response, String> {
    let extra = [("content-type", Some("application/json"))];
    send(api, key, Method::Post, path, &extra, Some(body)).await
}

/// `POST {api}{path}` with a JSON body and the given optional headers.
pub async fn post_json_with(
    api: &str,
    key: &str,
    path: &str,
    extra: &[(&str, Option<&str>)],
    body: String,
) -> Result<Response, String> {
    let mut headers = vec![("content-type", Some("application/json"))];
    headers.extend_from_slice(extra);
    send(api, key, Method::Post, path, &headers, Some(body)).await
}

async fn send(
    api: &str,
    key: &str,
    method: Method,
    path: &str,
    extra: &[(&str, Option<&str>)],
    body: Option<String>,
) -> Result<Response, String> {
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("x-waymark-key", key)?;
    for (name, value) in extra {
        if let Some(value) = value {
            set(name, value)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers.clone())
        .with_body(body.map(|b| b.into()));
    let request =
        Request::new_with_init(&format!("{api}{path}"), &init).map_err(|e| e.to_string())?;
    Fetch::Request(request)
        .send()
        .await
        .map_err(|e| format!("the central API is unreachable: {e}"))
}

/// Stores `value` under `key`, expiring after `ttl` seconds when given (KV's minimum is 60).
pub async fn put(kv: &KvStore, key: &str, value: &str, ttl: Option<u64>) -> Result<(), String> {
    let mut put = kv.put(key, value).map_err(|e| e.to_string())?;
    if let Some(ttl) = ttl {
        put = put.expiration_ttl(ttl.max(60));
    }
    put.execute().await.map_err(|e| e.to_string())
}

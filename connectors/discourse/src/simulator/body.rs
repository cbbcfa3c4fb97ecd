//! Request bodies as Discourse accepts them: JSON, form-encoded or multipart, read into one flat
//! map of fields (`target_recipients[]`-style repeats joined by commas).

use axum::http::{header, HeaderMap};
use std::collections::BTreeMap;
use trellis_connector_kit::record::url_pairs;

pub(crate) fn fields(headers: &HeaderMap, body: &[u8]) -> BTreeMap<String, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let boundary =
            content_type.split("boundary=").nth(1).map(|b| b.trim_matches('"').to_owned());
        // The boundary's case matters: take it from the original header, not the lowercased one.
        let original =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let boundary = original
            .split("boundary=")
            .nth(1)
            .map(|b| b.trim_matches('"').to_owned())
            .or(boundary)
            .unwrap_or_default();
        return multipart(&String::from_utf8_lossy(body), &boundary);
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut map = BTreeMap::new();
        for (name, value) in url_pairs(&String::from_utf8_lossy(body)) {
            insert(&mut map, name, value);
        }
        return map;
    }
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    json.as_object()
        .map(|object| {
            object
                .iter()
                .map(|(name, value)| {
                    let text = match value {
                        serde_json::Value::String(text) => text.clone(),
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|item| {
                                item.as_str().map_or_else(|| item.to_string(), str::to_owned)
                            })
                            .collect::<Vec<_>>()
                            .join(","),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn insert(map: &mut BTreeMap<String, String>, name: String, value: String) {
    let name = name.strip_suffix("[]").map(str::to_owned).unwrap_or(name);
    map.entry(name)
        .and_modify(|existing| {
            existing.push(',');
            existing.push_str(&value);
        })
        .or_insert(value);
}

/// Text fields of a `multipart/form-data` body.
fn multipart(body: &str, boundary: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    if boundary.is_empty() {
        return map;
    }
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else { continue };
        let name = head
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|line| line.split("name=\"").nth(1))
            .and_then(|rest| rest.split('"').next());
        if let Some(name) = name {
            insert(
                &mut map,
                name.to_owned(),
                value.strip_suffix("\r\n").unwrap_or(value).to_owned(),
            );
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn typed(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn json_form_and_multipart_bodies_read_alike() {
        let json = fields(
            &typed("application/json"),
            br#"{"topic_id":5,"raw":"hi there","target_recipients":["a","b"]}"#,
        );
        let form = fields(
            &typed("application/x-www-form-urlencoded"),
            b"topic_id=5&raw=hi+there&target_recipients[]=a&target_recipients[]=b",
        );
        let multipart_body = "--XyZ\r\nContent-Disposition: form-data; name=\"topic_id\"\r\n\r\n5\r\n--XyZ\r\nContent-Disposition: form-data; name=\"raw\"\r\n\r\nhi there\r\n--XyZ\r\nContent-Disposition: form-data; name=\"target_recipients\"\r\n\r\na,b\r\n--XyZ--\r\n";
        let multipart =
            fields(&typed("multipart/form-data; boundary=XyZ"), multipart_body.as_bytes());
        for map in [&json, &form, &multipart] {
            assert_eq!(map.get("topic_id").map(String::as_str), Some("5"));
            assert_eq!(map.get("raw").map(String::as_str), Some("hi there"));
            assert_eq!(map.get("target_recipients").map(String::as_str), Some("a,b"));
        }
    }
}

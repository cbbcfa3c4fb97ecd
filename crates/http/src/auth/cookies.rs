//! The session cookie: read from `Cookie`, written HttpOnly and SameSite=Lax, Secure when the
//! server is reached over https.

use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "trellis_session";

/// The value of cookie `name`, if the request sent it.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a session that lasts `max_age_secs`.
pub fn session(secret: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    // The secret is base64url: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static("trellis_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers
            .insert(header::COOKIE, HeaderValue::from_static("a=1; trellis_session=s3cr3t; b=2"));
        assert_eq!(read(&headers, SESSION_COOKIE).as_deref(), Some("s3cr3t"));
        assert_eq!(read(&headers, "missing"), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_lax_and_secure_on_https() {
        let plain = session("abc", 60, false);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"), "{plain}");
        assert!(!plain.contains("Secure"));
        assert!(session("abc", 60, true).to_str().unwrap().ends_with("; Secure"));
        assert!(cleared(false).to_str().unwrap().contains("Max-Age=0"));
    }
}

//! The small HTML pages of share links, and the text helpers they need.
//! Every name that reaches a page goes through [`escape`].

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Link-preview fetchers of chat apps, matched case-insensitively in the User-Agent.
const CRAWLERS: [&str; 6] = ["discordbot", "twitterbot", "slackbot", "facebookexternalhit", "telegrambot", "whatsapp"];

/// What chat apps show for a link: `og:title` and `og:description`.
pub struct Preview {
    pub title: String,
    pub description: String,
}

/// The preview of a password link whose password was not given: it names nothing.
pub fn protected_preview() -> Preview {
    Preview { title: "Password-protected link".to_owned(), description: "Enter the password to open it.".to_owned() }
}

pub fn is_crawler(user_agent: &str) -> bool {
    let user_agent = user_agent.to_ascii_lowercase();
    CRAWLERS.iter().any(|crawler| user_agent.contains(crawler))
}

/// A whole page: `body` is HTML already escaped by the caller.
pub fn page(status: StatusCode, title: &str, preview: Option<&Preview>, body: &str) -> Response {
    let meta = match preview {
        Some(preview) => format!(
            "<meta property=\"og:type\" content=\"website\">\n\
             <meta property=\"og:title\" content=\"{}\">\n\
             <meta property=\"og:description\" content=\"{}\">\n",
            escape(&preview.title),
            escape(&preview.description)
        ),
        None => String::new(),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n{meta}<title>{title}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n{body}\n</body>\n</html>\n",
        title = escape(title),
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // A link id is a secret: keep it out of Referer headers to other sites.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}\
table{border-collapse:collapse;width:100%}td{padding:.25rem .5rem;border-bottom:1px solid #ddd}\
td.size{text-align:right;white-space:nowrap}.error{color:#b00}";

/// A page that only says something, in one paragraph.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, title, None, &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(message)))
}

/// The password form; it posts to the link and then returns to `next`.
pub fn password_form(status: StatusCode, id: &str, next: &str, wrong: bool) -> Response {
    let preview = protected_preview();
    let notice = if wrong { "<p class=\"error\">Wrong password.</p>\n" } else { "" };
    let body = format!(
        "<h1>{title}</h1>\n{notice}<form method=\"post\" action=\"/s/{id}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <label>Password <input type=\"password\" name=\"password\" autofocus required></label>\n\
         <button type=\"submit\">Open</button>\n</form>",
        title = escape(&preview.title),
        id = escape(id),
        next = escape(next),
    );
    page(status, &preview.title, Some(&preview), &body)
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Percent-encodes a relative path for a query string; `/` stays readable.
pub fn encode_query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            byte => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Sizes as people read them: "512 B", "1.5 MiB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("a b/c&d=é.txt"), "a%20b/c%26d%3D%C3%A9.txt");
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn recognises_chat_crawlers() {
        assert!(is_crawler("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"));
        assert!(is_crawler("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"));
        assert!(is_crawler("WhatsApp/2.23.20.0"));
        assert!(!is_crawler("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"));
    }
}

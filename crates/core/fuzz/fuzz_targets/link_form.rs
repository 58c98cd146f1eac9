//! The share-link password form (`link_form`): its body parser and the
//! check of the address it returns to.
//!
//! The whole input is a form body: `form_fields` must not panic on it. Then
//! every candidate `next` is checked: the body's `next` field and the input
//! after its first byte as text, which that byte may put behind `/s/{id}`
//! or `/s/{id}/` so that the fuzzer starts on the link's pages. Whatever
//! `is_within_link` accepts must, once a browser has resolved it, still be
//! `/s/{id}` or below it.

#![no_main]

use cordvault_core::link_form::{form_fields, is_within_link};
use libfuzzer_sys::fuzz_target;

/// A link id as the server makes them.
const ID: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let fields = form_fields(data);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let rest = String::from_utf8_lossy(rest);
    let raw = match mode % 3 {
        0 => rest.into_owned(),
        1 => format!("/s/{ID}{rest}"),
        _ => format!("/s/{ID}/{rest}"),
    };
    for next in fields.get("next").into_iter().chain([&raw]) {
        if !is_within_link(next, ID) {
            continue;
        }
        let resolved = resolve(next);
        let base = format!("/s/{ID}");
        let stays = resolved.strip_prefix(&base).is_some_and(|tail| tail.is_empty() || tail.starts_with('/'));
        assert!(stays, "{next:?} is accepted but a browser goes to {resolved:?}");
    }
});

/// The path a browser requests for `next`, a path-absolute URL on this
/// server, as the WHATWG URL parser reads an http(s) URL.
fn resolve(next: &str) -> String {
    // Tabs and line breaks are dropped anywhere, C0 controls and spaces
    // trimmed at both ends.
    let next: String = next.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let next = next.trim_matches(|c: char| c <= ' ');
    let path = next.split(['?', '#']).next().unwrap_or_default();
    // `\` is `/`, and `%2e` a dot, in the segments of special URLs.
    let path = path.replace('\\', "/").replace("%2e", ".").replace("%2E", ".");
    remove_dot_segments(&path)
}

/// RFC 3986, section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    let pop = |output: &mut String| output.truncate(output.rfind('/').unwrap_or(0));
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../").or_else(|| input.strip_prefix("./")) {
            // A.
            input = rest;
        } else if input.starts_with("/./") {
            // B.
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            // C.
            input = &input[3..];
            pop(&mut output);
        } else if input == "/.." {
            input = "/";
            pop(&mut output);
        } else if input == "." || input == ".." {
            // D.
            input = "";
        } else {
            // E: the first segment, with its leading `/` if any.
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |at| at + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

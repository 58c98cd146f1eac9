//! The password form of share links (`POST /s/{id}`): its
//! `application/x-www-form-urlencoded` body, and the check that the address
//! it returns to stays on the link's own pages.

use std::collections::HashMap;

/// The fields of an `application/x-www-form-urlencoded` body; fields that
/// are not UTF-8 are left out.
pub fn form_fields(body: &[u8]) -> HashMap<String, String> {
    body.split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            Some((form_decode(name)?, form_decode(value)?))
        })
        .collect()
}

fn form_decode(text: &[u8]) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => match (rest.first().copied().and_then(hex_digit), rest.get(1).copied().and_then(hex_digit)) {
                (Some(high), Some(low)) => {
                    bytes.push(high << 4 | low);
                    rest = &rest[2..];
                }
                // A stray '%' stays as it is, as browsers do.
                _ => bytes.push(b'%'),
            },
            byte => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}

/// Whether `next` stays on this link's pages, so the form cannot redirect elsewhere.
pub fn is_within_link(next: &str, id: &str) -> bool {
    // Browsers drop tabs and line breaks anywhere in a URL and spaces and
    // control characters at its ends, so `.<TAB>.` is a dot segment to them;
    // the server's own addresses never hold any of these.
    if next.bytes().any(|byte| byte.is_ascii_control() || byte == b' ') {
        return false;
    }
    // As the server's `url_path(id)`.
    let base = format!("/s/{id}");
    if next == base {
        return true;
    }
    let Some(rest) = next.strip_prefix(&base).and_then(|rest| rest.strip_prefix('/')) else {
        return false;
    };
    // Dot segments (plain or percent-encoded) would climb out of the link
    // once the browser resolves them.
    let path = rest.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase().replace("%2e", ".");
    !rest.contains('\\') && !path.split('/').any(|segment| segment == "." || segment == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn decodes_form_bodies() {
        let fields = form_fields(b"password=p%C3%A4ss+word%21&next=%2Fs%2Fab&empty=&bare&bad=%zz%4");
        assert_eq!(fields["password"], "päss word!");
        assert_eq!(fields["next"], "/s/ab");
        assert_eq!(fields["empty"], "");
        assert_eq!(fields["bare"], "");
        assert_eq!(fields["bad"], "%zz%4");
        assert!(form_fields(b"x=%FF").is_empty(), "not UTF-8");
    }

    #[test]
    fn the_form_returns_only_to_pages_of_its_own_link() {
        let id = ID;
        assert!(is_within_link(&format!("/s/{id}"), id));
        assert!(is_within_link(&format!("/s/{id}/file?path=a/b.txt"), id));
        assert!(!is_within_link(&format!("/s/{id}x"), id));
        assert!(!is_within_link("https://evil.example/", id));
        assert!(!is_within_link(&format!("/s/{id}/\\evil.example"), id));
    }

    #[test]
    fn f21_the_form_refuses_dot_segments() {
        let id = ID;
        for next in ["/../../admin", "/..", "/./file", "/%2e%2e/%2E%2e/admin", "/a/../../x", "/.%2E/x"] {
            assert!(!is_within_link(&format!("/s/{id}{next}"), id), "{next}");
        }
        assert!(is_within_link(&format!("/s/{id}/file?path=..hidden.txt"), id));
        assert!(is_within_link(&format!("/s/{id}/file.with.dots"), id));
    }

    #[test]
    fn dot_segments_are_refused_wherever_they_stand() {
        for next in ["/.", "/./", "/a/.", "/a/./b", "/a/..", "/a/b/../../..", "/zip/../../other", "/../"] {
            assert!(!is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
        // Names that only look like dots are names.
        for next in ["/...", "/.../x", "/..a", "/a..", "/.hidden", "/file.txt."] {
            assert!(is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
    }

    #[test]
    fn percent_encoded_dots_are_dots() {
        for next in ["/%2e", "/%2E", "/%2e%2e", "/%2E%2E", "/.%2e", "/%2e.", "/a/%2e%2E/%2E./x", "/%2e%2e?x=1"] {
            assert!(!is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
        // A browser does not decode twice, nor other escapes into dots.
        for next in ["/%252e%252e", "/%2e%2e%2e", "/%2ex"] {
            assert!(is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
    }

    #[test]
    fn backslashes_are_refused() {
        // Browsers read `\` as `/` in http(s) URLs.
        for next in ["/\\", "/..\\..\\admin", "/a\\..", "/\\\\evil.example", "/file?path=a\\b", "/x#\\"] {
            assert!(!is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
    }

    /// Browsers strip tabs and line breaks from URLs, so `.<TAB>.` climbs
    /// as `..` does; a trailing space or control character is trimmed.
    #[test]
    fn whitespace_and_control_characters_are_refused() {
        for next in ["/.\t./.\t./admin", "/.\n./x", "/.\r.", "/..\t", "/.. ", "/..\u{0}", "/a b", "/\u{7f}"] {
            assert!(!is_within_link(&format!("/s/{ID}{next}"), ID), "{next:?}");
        }
        assert!(!is_within_link(&format!("\t/s/{ID}"), ID));
        assert!(!is_within_link(&format!("/s/{ID} "), ID));
    }

    #[test]
    fn other_links_and_sites_are_refused() {
        let other = "fedcba9876543210fedcba9876543210";
        for next in [
            format!("/s/{other}"),
            format!("/s/{other}/file?path=a"),
            format!("/s/{}", &ID[..31]),
            format!("/s/{ID}0"),
            format!("/s/{ID}.."),
            format!("/S/{ID}"),
            format!("/s//{ID}"),
            format!("s/{ID}"),
            format!("//evil.example/s/{ID}"),
            format!("https://evil.example/s/{ID}"),
            format!("/x/s/{ID}"),
            format!("/s/{}", ID.to_ascii_uppercase()),
            String::new(),
            "/".to_owned(),
            "/s/".to_owned(),
        ] {
            assert!(!is_within_link(&next, ID), "{next}");
        }
    }

    #[test]
    fn query_strings_and_fragments_are_not_paths() {
        // What follows `?` or `#` is not resolved, so dots there do no harm.
        for next in ["/file?path=../../x", "/file?path=%2e%2e/x", "/zip?a=/../..", "/#..", "/file?path=a#/../.."] {
            assert!(is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
        // The path before them still counts.
        for next in ["/..?path=x", "/../#x", "/a/%2e%2e?x"] {
            assert!(!is_within_link(&format!("/s/{ID}{next}"), ID), "{next}");
        }
        // A query straight after the id is not a page of the link.
        assert!(!is_within_link(&format!("/s/{ID}?next=/admin"), ID));
        assert!(!is_within_link(&format!("/s/{ID}#x"), ID));
    }
}

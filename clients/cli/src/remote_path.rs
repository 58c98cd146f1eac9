//! Paths of the remote tree as the user types them.

/// Makes a path absolute without repeated or trailing slashes: "a//b/" → "/a/b".
/// Names are left to the server to validate, so its messages explain problems.
pub fn normalize(path: &str) -> String {
    let names: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
    format!("/{}", names.join("/"))
}

/// `folder/name` for a normalized folder.
pub fn join(folder: &str, name: &str) -> String {
    if folder == "/" { format!("/{name}") } else { format!("{folder}/{name}") }
}

/// The folder holding a normalized path; None for the root.
pub fn parent(path: &str) -> Option<&str> {
    match path.rfind('/')? {
        _ if path == "/" => None,
        0 => Some("/"),
        index => Some(&path[..index]),
    }
}

/// Whether a remote name can safely become one local path component: the
/// server refuses these already, but a download must never climb out of its
/// directory whatever a server says.
pub fn is_safe_local_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("a//b/"), "/a/b");
        assert_eq!(normalize("/a/b"), "/a/b");
    }

    #[test]
    fn joins_and_splits() {
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(parent("/"), None);
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/a/b"), Some("/a"));
    }

    #[test]
    fn refuses_names_that_escape_a_directory() {
        assert!(is_safe_local_name("photo.jpg"));
        for name in ["", ".", "..", "a/b", "/", "a\0b"] {
            assert!(!is_safe_local_name(name), "{name}");
        }
    }
}

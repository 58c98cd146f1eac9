//! Names and paths of the folder tree.

use crate::{Error, Result};

/// Longest name, in bytes, as most file systems allow.
pub const MAX_NAME_BYTES: usize = 255;
/// Longest path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;

/// Checks one name of the tree; the message names the problem.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_argument("name is empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid_argument(format!(
            "name {} is {} bytes long, more than {MAX_NAME_BYTES}",
            quote(name),
            name.len()
        )));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid_argument(format!("name {name:?} is reserved")));
    }
    if name.contains('/') {
        return Err(Error::invalid_argument(format!("name {name:?} contains '/'")));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!("name {name:?} contains a control character")));
    }
    Ok(())
}

/// Quotes user input for an error message, cut short: messages travel in
/// HTTP/2 headers, which have a size limit.
pub fn quote(input: &str) -> String {
    const MAX_CHARS: usize = 64;
    if input.chars().count() <= MAX_CHARS {
        return format!("{input:?}");
    }
    let head: String = input.chars().take(MAX_CHARS).collect();
    format!("{head:?}…")
}

/// An absolute path of the tree, as its validated names; the root has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TreePath {
    names: Vec<String>,
}

impl TreePath {
    pub fn root() -> Self {
        TreePath::default()
    }

    /// Parses "/a/b/c.txt". Repeated and trailing slashes are tolerated;
    /// every name is validated.
    pub fn parse(path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::invalid_argument("path is empty"));
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(Error::invalid_argument(format!(
                "path {} is {} bytes long, more than {MAX_PATH_BYTES}",
                quote(path),
                path.len()
            )));
        }
        if !path.starts_with('/') {
            return Err(Error::invalid_argument(format!(
                "path {} is not absolute (it must start with '/')",
                quote(path)
            )));
        }
        let mut names = Vec::new();
        for name in path.split('/').filter(|name| !name.is_empty()) {
            validate_name(name)
                .map_err(|err| Error::invalid_argument(format!("path {}: {}", quote(path), err.message)))?;
            names.push(name.to_owned());
        }
        Ok(TreePath { names })
    }

    pub fn is_root(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The last name, or None for the root.
    pub fn file_name(&self) -> Option<&str> {
        self.names.last().map(String::as_str)
    }

    /// The parent folder; the root is its own parent.
    pub fn parent(&self) -> TreePath {
        let mut names = self.names.clone();
        names.pop();
        TreePath { names }
    }

    pub fn join(&self, name: &str) -> Result<TreePath> {
        validate_name(name)?;
        let mut names = self.names.clone();
        names.push(name.to_owned());
        Ok(TreePath { names })
    }
}

impl std::fmt::Display for TreePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.names.is_empty() {
            return f.write_str("/");
        }
        for name in &self.names {
            write!(f, "/{name}")?;
        }
        Ok(())
    }
}

/// The n-th alternative of a taken name: "report.pdf" → "report (n).pdf".
pub fn numbered_name(name: &str, n: u32) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

/// What to do when a target name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    #[default]
    Fail,
    /// Take the first free "name (n).ext".
    Rename,
    /// Replace an existing file (never a folder).
    Overwrite,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_paths() {
        let path = TreePath::parse("/a//b/c.txt/").unwrap();
        assert_eq!(path.names(), ["a", "b", "c.txt"]);
        assert_eq!(path.to_string(), "/a/b/c.txt");
        assert_eq!(path.parent().to_string(), "/a/b");
        assert!(TreePath::parse("/").unwrap().is_root());
    }

    #[test]
    fn rejects_bad_names_with_a_reason() {
        for (path, reason) in [
            ("", "empty"),
            ("a/b", "absolute"),
            ("/a/../b", "reserved"),
            ("/a/./b", "reserved"),
            ("/a\u{7}b", "control"),
        ] {
            let err = TreePath::parse(path).unwrap_err();
            assert!(err.message.contains(reason), "{path:?}: {}", err.message);
        }
        let long = format!("/{}", "x".repeat(256));
        assert!(TreePath::parse(&long).unwrap_err().message.contains("256 bytes"));
        let huge = "x".repeat(100_000);
        assert!(TreePath::parse(&huge).unwrap_err().message.len() < 200, "messages stay short");
        assert!(validate_name("a/b").is_err());
        assert!(validate_name("").is_err());
    }

    #[test]
    fn numbers_names_before_the_extension() {
        assert_eq!(numbered_name("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered_name("archive", 2), "archive (2)");
        assert_eq!(numbered_name(".bashrc", 3), ".bashrc (3)");
    }
}

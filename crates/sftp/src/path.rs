//! Client path normalisation: the one place where an SFTP path sent by a
//! client becomes the path a backend sees.

use std::fmt;

/// A normalised, absolute path inside the share, as backends receive it.
///
/// Invariants (guaranteed by [`SftpPath::normalize`], the only constructor
/// for client input): it starts with `/`, has no empty, `.` or `..`
/// components, and no trailing slash except for the root `/` itself. So a
/// backend can map it onto its own namespace component by component without
/// ever meeting `..`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SftpPath(String);

impl SftpPath {
    /// The root of the share.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Normalises a client path: relative paths are taken against `/` (the
    /// session's home is the share root), repeated slashes collapse, `.` is
    /// dropped, and `..` removes the previous component but never climbs
    /// above `/` (like a shell at the root: `/../x` is `/x`).
    pub fn normalize(raw: &str) -> Self {
        let mut parts: Vec<&str> = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        if parts.is_empty() {
            return Self::root();
        }
        let mut path = String::with_capacity(raw.len() + 1);
        for part in parts {
            path.push('/');
            path.push_str(part);
        }
        Self(path)
    }

    /// The path as a string, e.g. `/photos/2024`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the share root `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The components below the root, in order (none for `/`).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|part| !part.is_empty())
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        if self.is_root() { None } else { self.0.rsplit('/').next() }
    }

    /// The parent directory, or `None` for the root.
    pub fn parent(&self) -> Option<SftpPath> {
        if self.is_root() {
            return None;
        }
        match self.0.rfind('/') {
            Some(0) | None => Some(Self::root()),
            Some(index) => Some(Self(self.0[..index].to_owned())),
        }
    }
}

impl fmt::Display for SftpPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SftpPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::SftpPath;

    fn norm(raw: &str) -> String {
        SftpPath::normalize(raw).as_str().to_owned()
    }

    #[test]
    fn root_forms() {
        for raw in ["", "/", ".", "./", "//", "/.", "..", "/..", "../..", "/./../."] {
            assert_eq!(norm(raw), "/", "{raw:?}");
        }
    }

    #[test]
    fn relative_paths_are_taken_against_root() {
        assert_eq!(norm("a"), "/a");
        assert_eq!(norm("a/b"), "/a/b");
        assert_eq!(norm("./a/./b/"), "/a/b");
    }

    #[test]
    fn repeated_and_trailing_slashes_collapse() {
        assert_eq!(norm("//a///b//"), "/a/b");
        assert_eq!(norm("/a/"), "/a");
    }

    #[test]
    fn dot_dot_never_climbs_above_root() {
        assert_eq!(norm("../secret"), "/secret");
        assert_eq!(norm("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(norm("a/../../b"), "/b");
        assert_eq!(norm("a/b/../c"), "/a/c");
        assert_eq!(norm("a/b/../../.."), "/");
        assert_eq!(norm("/a/../../../a/../.."), "/");
    }

    #[test]
    fn dots_inside_names_are_names() {
        assert_eq!(norm("/a/...b/c..d/..."), "/a/...b/c..d/...");
        assert_eq!(norm("/.hidden/x"), "/.hidden/x");
    }

    #[test]
    fn spaces_and_unicode_are_kept() {
        assert_eq!(norm("/dir with spaces/été ☃.txt"), "/dir with spaces/été ☃.txt");
    }

    #[test]
    fn components_parent_and_name() {
        let path = SftpPath::normalize("/a/b/c");
        assert_eq!(path.components().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(path.file_name(), Some("c"));
        assert_eq!(path.parent().map(|p| p.to_string()), Some("/a/b".to_owned()));
        let top = SftpPath::normalize("/a");
        assert_eq!(top.parent(), Some(SftpPath::root()));
        assert_eq!(SftpPath::root().parent(), None);
        assert_eq!(SftpPath::root().file_name(), None);
        assert_eq!(SftpPath::root().components().count(), 0);
    }
}

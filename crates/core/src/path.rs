//! Names and paths of the folder tree.

use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// Longest name, in bytes, as most file systems allow.
pub const MAX_NAME_BYTES: usize = 255;
/// Longest path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Deepest path, in names: deep enough for any real tree, shallow enough
/// that walking one stays cheap.
pub const MAX_DEPTH: usize = 256;

/// The format characters (general category Cf) of Unicode 16.0, as inclusive
/// ranges in ascending order. They are invisible: in a name they hide or
/// reorder text (after U+202E, "gpj.exe" shows as "exe.jpg") and make names
/// that look alike but differ. Rust's standard library has no general category lookup,
/// hence the table.
const FORMAT_CHARS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero width space, (non-)joiner, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates, deprecated format controls
    ('\u{FEFF}', '\u{FEFF}'),   // byte order mark, zero width no-break space
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation controls
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol beam and slur controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

fn is_format_char(c: char) -> bool {
    FORMAT_CHARS.iter().any(|&(first, last)| (first..=last).contains(&c))
}

/// Why `c` may not stand in a name, or None when it may.
fn forbidden_reason(c: char) -> Option<&'static str> {
    match c {
        '/' => Some("a slash, which separates names"),
        // Windows reads it as a separator, so the name could not be saved there.
        '\\' => Some("a backslash, which Windows takes for a separator"),
        '\u{2028}' | '\u{2029}' => Some("a line or paragraph separator"),
        c if c.is_control() => Some("a control character"),
        c if is_format_char(c) => Some("an invisible format character"),
        _ => None,
    }
}

/// Checks one name of the tree as it is stored: valid and already in Unicode
/// normal form C. The message names the problem. For a name given by a
/// client, which may come in another normal form (macOS sends NFD), use
/// [`normalize_name`] and store what it returns.
pub fn validate_name(name: &str) -> Result<()> {
    let normalized = normalize_name(name)?;
    if normalized != name {
        return Err(Error::invalid_argument(format!("name {} is not in Unicode normal form C (NFC)", quote(name))));
    }
    Ok(())
}

/// `text` in Unicode normal form C, unchecked: for names older versions
/// stored as they were given.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// Validates a name given by a client and returns its NFC form, the form
/// names are stored and compared in, so that "résumé.txt" typed as "e" plus a
/// combining accent finds and clashes with the precomposed one.
pub fn normalize_name(name: &str) -> Result<String> {
    // Bounds the work of normalising. No input this long can get under
    // MAX_NAME_BYTES: NFC shrinks text at most about threefold (Hangul jamo).
    if name.len() > MAX_PATH_BYTES {
        return Err(name_too_long(name, name.len()));
    }
    let normalized: String = name.nfc().collect();
    check_normalized_name(name, &normalized)?;
    Ok(normalized)
}

/// The checks, on the NFC form `name` of the client's `input` (quoted in
/// messages, as that is what the client sent).
fn check_normalized_name(input: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_argument("name is empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(name_too_long(input, name.len()));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid_argument(format!("name {} is reserved", quote(input))));
    }
    if let Some((c, reason)) = name.chars().find_map(|c| forbidden_reason(c).map(|reason| (c, reason))) {
        return Err(Error::invalid_argument(format!(
            "name {} contains U+{:04X}, {reason}",
            quote(input),
            u32::from(c)
        )));
    }
    if name.chars().all(char::is_whitespace) {
        return Err(Error::invalid_argument(format!("name {} is only whitespace", quote(input))));
    }
    // Windows strips trailing dots and spaces, so "f.txt." and "f.txt " would
    // look like, and there become, "f.txt". Other trailing whitespace is just
    // as invisible.
    if let Some((last, reason)) = name.chars().next_back().and_then(|c| trailing_reason(c).map(|reason| (c, reason))) {
        return Err(Error::invalid_argument(format!(
            "name {} ends with U+{:04X}, {reason}",
            quote(input),
            u32::from(last)
        )));
    }
    Ok(())
}

/// Why a name may not end with `c`, or None when it may.
fn trailing_reason(c: char) -> Option<&'static str> {
    match c {
        '.' => Some("a dot, which Windows strips"),
        ' ' => Some("a space, which Windows strips"),
        c if c.is_whitespace() => Some("whitespace, which cannot be seen"),
        _ => None,
    }
}

fn name_too_long(input: &str, len: usize) -> Error {
    Error::invalid_argument(format!("name {} is {len} bytes long, more than {MAX_NAME_BYTES}", quote(input)))
}

fn too_deep(input: &str) -> Error {
    Error::invalid_argument(format!("path {} is more than {MAX_DEPTH} folders deep", quote(input)))
}

fn path_too_long(input: &str, len: usize) -> Error {
    Error::invalid_argument(format!("path {} is {len} bytes long, more than {MAX_PATH_BYTES}", quote(input)))
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

/// An absolute path of the tree, as its validated names in NFC; the root has
/// none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TreePath {
    names: Vec<String>,
}

impl TreePath {
    pub fn root() -> Self {
        TreePath::default()
    }

    /// Parses "/a/b/c.txt". Repeated and trailing slashes are tolerated;
    /// every name is validated and kept in NFC (see [`normalize_name`]), so
    /// the NFD and NFC spellings of a path parse to equal paths.
    pub fn parse(path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::invalid_argument("path is empty"));
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(path_too_long(path, path.len()));
        }
        if !path.starts_with('/') {
            return Err(Error::invalid_argument(format!(
                "path {} is not absolute (it must start with '/')",
                quote(path)
            )));
        }
        let mut names = Vec::new();
        for name in path.split('/').filter(|name| !name.is_empty()) {
            if names.len() == MAX_DEPTH {
                return Err(too_deep(path));
            }
            let name = normalize_name(name)
                .map_err(|err| Error::invalid_argument(format!("path {}: {}", quote(path), err.message)))?;
            names.push(name);
        }
        let parsed = TreePath { names };
        // NFC can lengthen a few characters (U+0958 becomes two), so the
        // limit is checked again on what is kept.
        let len = parsed.byte_len();
        if len > MAX_PATH_BYTES {
            return Err(path_too_long(path, len));
        }
        Ok(parsed)
    }

    /// The length of the printed path in bytes.
    fn byte_len(&self) -> usize {
        self.names.iter().map(|name| 1 + name.len()).sum::<usize>().max(1)
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

    /// This path with `name` appended; the name is validated and kept in NFC
    /// like those of [`TreePath::parse`].
    pub fn join(&self, name: &str) -> Result<TreePath> {
        if self.names.len() >= MAX_DEPTH {
            return Err(too_deep(&format!("{self}/{name}")));
        }
        let name = normalize_name(name)?;
        let mut names = self.names.clone();
        names.push(name);
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

impl ConflictPolicy {
    /// The one number for each policy, in the API (`cordvault.v1.ConflictPolicy`)
    /// and in the database alike.
    pub fn code(self) -> i32 {
        match self {
            ConflictPolicy::Fail => 1,
            ConflictPolicy::Rename => 2,
            ConflictPolicy::Overwrite => 3,
        }
    }

    /// The policy a number stands for; 0 (a request that names none) is
    /// [`ConflictPolicy::Fail`].
    pub fn from_code(code: i32) -> Result<ConflictPolicy> {
        match code {
            0 | 1 => Ok(ConflictPolicy::Fail),
            2 => Ok(ConflictPolicy::Rename),
            3 => Ok(ConflictPolicy::Overwrite),
            _ => Err(Error::invalid_argument(format!("conflict_policy {code} is unknown"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_at_most_max_depth_deep() {
        let deep = "/d".repeat(MAX_DEPTH);
        let parsed = TreePath::parse(&deep).unwrap();
        assert_eq!(parsed.names().len(), MAX_DEPTH);
        let err = TreePath::parse(&format!("{deep}/d")).unwrap_err();
        assert!(err.message.contains("folders deep"), "{err}");
        assert!(parsed.join("d").is_err());
        assert!(parsed.parent().join("d").is_ok());
    }
    use crate::ErrorCode;

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

    /// The message of the error refusing `name`, which must be refused.
    fn refusal(name: &str) -> String {
        let err = normalize_name(name).expect_err(name);
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{name:?}");
        assert!(validate_name(name).is_err(), "{name:?}");
        // In a path, an empty name or a slash is just a separator.
        if !name.is_empty() && !name.contains('/') {
            let path_err = TreePath::parse(&format!("/folder/{name}")).expect_err(name);
            assert_eq!(path_err.code, ErrorCode::InvalidArgument, "{name:?}");
        }
        err.message
    }

    #[test]
    fn ordinary_names_pass_unchanged() {
        for name in [
            "report.pdf",
            "my holiday photo.jpg",
            "archive.tar.gz",
            "v1.2.3",
            ".bashrc",
            "..hidden",
            " leading space",
            "Ünïcödé façade.txt",
            "résumé.txt",
            "日本語のファイル.txt",
            "한국어",
            "a（b）",
            "😀 party.png",
            "❤\u{FE0F}",
            "👍🏽",
            "🇫🇷",
            "non\u{A0}breaking",
            "x",
            "~$draft.docx",
        ] {
            assert_eq!(normalize_name(name).as_deref(), Ok(name), "{name:?}");
            assert_eq!(validate_name(name), Ok(()), "{name:?}");
            assert_eq!(TreePath::parse(&format!("/{name}")).unwrap().names(), [name]);
        }
    }

    #[test]
    fn names_are_normalised_to_nfc() {
        let nfd = "re\u{301}sume\u{301}.txt";
        let nfc = "r\u{E9}sum\u{E9}.txt";
        assert_ne!(nfd, nfc);
        assert_eq!(normalize_name(nfd).unwrap(), nfc);
        assert_eq!(normalize_name(nfc).unwrap(), nfc);
        // Hangul jamo compose into a syllable.
        assert_eq!(normalize_name("\u{1112}\u{1161}\u{11AB}").unwrap(), "\u{D55C}");
        // A canonical singleton: the Angstrom sign is the letter Å.
        assert_eq!(normalize_name("\u{212B}").unwrap(), "\u{C5}");
        // validate_name checks a name as stored, so it wants NFC already.
        let err = validate_name(nfd).unwrap_err();
        assert!(err.message.contains("NFC"), "{}", err.message);
    }

    #[test]
    fn nfd_and_nfc_paths_are_equal() {
        let nfd = TreePath::parse("/Caf\u{65}\u{301}/re\u{301}sume\u{301}.txt").unwrap();
        let nfc = TreePath::parse("/Caf\u{E9}/r\u{E9}sum\u{E9}.txt").unwrap();
        assert_eq!(nfd, nfc);
        assert_eq!(nfd.names(), ["Caf\u{E9}", "r\u{E9}sum\u{E9}.txt"]);
        assert_eq!(nfd.to_string(), "/Caf\u{E9}/r\u{E9}sum\u{E9}.txt");
        assert_eq!(TreePath::root().join("Caf\u{65}\u{301}").unwrap(), nfc.parent());
    }

    #[test]
    fn refuses_backslashes() {
        for name in ["a\\b", "\\", "dir\\..\\x.txt"] {
            let message = refusal(name);
            assert!(message.contains("U+005C") && message.contains("backslash"), "{message}");
        }
    }

    #[test]
    fn refuses_slashes_in_bare_names() {
        let message = refusal("a/b");
        assert!(message.contains("U+002F"), "{message}");
    }

    #[test]
    fn refuses_format_characters() {
        for (c, code) in [
            ('\u{AD}', "U+00AD"),
            ('\u{600}', "U+0600"),
            ('\u{605}', "U+0605"),
            ('\u{61C}', "U+061C"),
            ('\u{6DD}', "U+06DD"),
            ('\u{70F}', "U+070F"),
            ('\u{890}', "U+0890"),
            ('\u{891}', "U+0891"),
            ('\u{8E2}', "U+08E2"),
            ('\u{180E}', "U+180E"),
            ('\u{200B}', "U+200B"),
            ('\u{200C}', "U+200C"),
            ('\u{200D}', "U+200D"),
            ('\u{200E}', "U+200E"),
            ('\u{200F}', "U+200F"),
            ('\u{202A}', "U+202A"),
            ('\u{202E}', "U+202E"),
            ('\u{2060}', "U+2060"),
            ('\u{2064}', "U+2064"),
            ('\u{2066}', "U+2066"),
            ('\u{2069}', "U+2069"),
            ('\u{206F}', "U+206F"),
            ('\u{FEFF}', "U+FEFF"),
            ('\u{FFF9}', "U+FFF9"),
            ('\u{FFFB}', "U+FFFB"),
            ('\u{110BD}', "U+110BD"),
            ('\u{110CD}', "U+110CD"),
            ('\u{13430}', "U+13430"),
            ('\u{1343F}', "U+1343F"),
            ('\u{1BCA0}', "U+1BCA0"),
            ('\u{1BCA3}', "U+1BCA3"),
            ('\u{1D173}', "U+1D173"),
            ('\u{1D17A}', "U+1D17A"),
            ('\u{E0001}', "U+E0001"),
            ('\u{E0020}', "U+E0020"),
            ('\u{E007F}', "U+E007F"),
        ] {
            for name in [format!("a{c}b.txt"), format!("{c}a"), format!("a{c}")] {
                let message = refusal(&name);
                assert!(message.contains(code) && message.contains("format"), "{name:?}: {message}");
                assert!(!message.contains(c), "the message shows {code} escaped: {message}");
            }
        }
        // The classic disguise: "photo_U+202Egpj.exe" shows as "photo_exe.jpg".
        assert!(refusal("photo_\u{202E}gpj.exe").contains("U+202E"));
        // A zero-width joiner also makes emoji sequences, which are refused too.
        assert!(refusal("\u{1F468}\u{200D}\u{1F469}").contains("U+200D"));
    }

    #[test]
    fn characters_next_to_format_ranges_pass() {
        for c in
            ['\u{AC}', '\u{AE}', '\u{606}', '\u{200A}', '\u{2010}', '\u{2070}', '\u{FEFE}', '\u{FFFC}', '\u{E0080}']
        {
            let name = format!("a{c}b");
            assert!(normalize_name(&name).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn format_table_is_sorted_and_disjoint() {
        for pair in FORMAT_CHARS.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
        let count: u32 = FORMAT_CHARS.iter().map(|&(first, last)| u32::from(last) - u32::from(first) + 1).sum();
        // Unicode 16.0 has 170 characters in general category Cf.
        assert_eq!(count, 170);
    }

    #[test]
    fn refuses_line_and_paragraph_separators() {
        for (name, code) in [("a\u{2028}b", "U+2028"), ("a\u{2029}b", "U+2029")] {
            let message = refusal(name);
            assert!(message.contains(code) && message.contains("separator"), "{message}");
        }
    }

    #[test]
    fn refuses_control_characters() {
        for (name, code) in [("a\u{0}b", "U+0000"), ("a\nb", "U+000A"), ("a\u{7F}", "U+007F"), ("a\u{85}b", "U+0085")] {
            let message = refusal(name);
            assert!(message.contains(code) && message.contains("control"), "{message}");
        }
    }

    #[test]
    fn refuses_trailing_dots_and_spaces() {
        for (name, code) in [
            ("f.txt.", "U+002E"),
            ("f.txt ", "U+0020"),
            ("f.txt . ", "U+0020"),
            ("...", "U+002E"),
            ("f.txt\u{A0}", "U+00A0"),
            ("f.txt\u{3000}", "U+3000"),
        ] {
            let message = refusal(name);
            assert!(message.contains(code) && message.contains("ends with"), "{name:?}: {message}");
        }
    }

    #[test]
    fn refuses_whitespace_only_names() {
        for name in [" ", "   ", "\u{A0}", "\u{3000}\u{2003}"] {
            let message = refusal(name);
            assert!(message.contains("only whitespace"), "{name:?}: {message}");
        }
    }

    #[test]
    fn keeps_the_older_checks() {
        assert!(refusal("").contains("empty"));
        assert!(refusal(".").contains("reserved"));
        assert!(refusal("..").contains("reserved"));
        assert_eq!(normalize_name(&"x".repeat(MAX_NAME_BYTES)).unwrap().len(), MAX_NAME_BYTES);
        assert!(refusal(&"x".repeat(MAX_NAME_BYTES + 1)).contains("256 bytes"));
        let huge = "x".repeat(5 << 20);
        let message = refusal(&huge);
        assert!(message.contains("bytes long") && message.len() < 200, "{message}");
    }

    #[test]
    fn name_length_is_measured_after_normalisation() {
        // 100 NFD "é" are 300 bytes but 200 in NFC: allowed.
        let nfd = "e\u{301}".repeat(100);
        assert_eq!(nfd.len(), 300);
        assert_eq!(normalize_name(&nfd).unwrap(), "\u{E9}".repeat(100));
        // U+0958 is excluded from composition and grows from 3 to 6 bytes.
        let growing = "\u{958}".repeat(85);
        assert_eq!(growing.len(), 255);
        assert!(refusal(&growing).contains("510 bytes"));
    }

    #[test]
    fn path_length_is_measured_after_normalisation() {
        // 30 names of 40 × U+0958: 30 × 121 = 3630 bytes as given, but
        // 30 × 241 = 7230 once normalised.
        let name = "\u{958}".repeat(40);
        let path: String = std::iter::repeat_n(format!("/{name}"), 30).collect();
        assert!(path.len() <= MAX_PATH_BYTES);
        let err = TreePath::parse(&path).unwrap_err();
        assert!(err.message.contains("more than 4096"), "{}", err.message);
        let at_limit = format!("/{}", vec!["x".repeat(MAX_NAME_BYTES); 16].join("/"));
        assert!(TreePath::parse(&at_limit).is_ok(), "{} bytes", at_limit.len());
    }
}

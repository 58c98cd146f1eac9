//! A streaming zip encoder that never holds file contents.
//!
//! The server sends a folder as one zip archive while it reads the files from
//! the store, so the archive is produced front to back and its memory must not
//! grow with file sizes. [`ZipEncoder`] does no IO: it hands back the header
//! bytes to send, and the caller sends each file's bytes itself, showing them
//! to [`ZipEncoder::file_data`] on the way so the CRC-32 and the byte count
//! can be kept. Only the central directory is accumulated, and it grows with
//! the number of entries, not their sizes.
//!
//! Entries are stored (method 0), never compressed: sizes are known up front
//! and the archive costs no CPU. The CRC-32 is only known once a file has been
//! streamed, so every file is followed by a data descriptor (flag bit 3).
//! ZIP64 fields are written only where a size, an offset or the entry count
//! does not fit the classic fields, so small archives stay readable by old
//! tools.

use std::fmt;

use crate::path::quote;
use crate::{Error, Result};

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR_SIGNATURE: u32 = 0x0807_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const END_SIGNATURE: u32 = 0x0605_4b50;

/// CRC and sizes follow the data, in a data descriptor.
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
/// The name is UTF-8 (otherwise readers assume IBM code page 437).
const FLAG_UTF8: u16 = 1 << 11;
const METHOD_STORED: u16 = 0;

/// Version 2.0: folders and stored entries.
const VERSION_DEFAULT: u16 = 20;
/// Version 4.5: ZIP64.
const VERSION_ZIP64: u16 = 45;
/// Made by Unix (upper byte 3), so readers apply the permissions in the
/// external attributes; spec version 4.5.
const VERSION_MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;

const ZIP64_EXTRA_ID: u16 = 0x0001;
/// "UT" extended timestamp: the modification time as UTC Unix seconds, which
/// unzip and 7-Zip prefer to the DOS time, a local time without a zone.
const TIMESTAMP_EXTRA_ID: u16 = 0x5455;
const TIMESTAMP_HAS_MODIFIED: u8 = 1;

/// Largest value of a classic 4-byte field; it also marks "see ZIP64".
const MAX_U32_FIELD: u64 = 0xFFFF_FFFF;
/// Largest value of a classic 2-byte entry count; it also marks "see ZIP64".
const MAX_U16_FIELD: u64 = 0xFFFF;
/// Names and extra fields have 2-byte lengths.
const MAX_NAME_BYTES: usize = 0xFFFF;

/// Unix mode in the upper half of the external attributes.
const FILE_MODE: u32 = 0o100_644;
const FOLDER_MODE: u32 = 0o040_755;
/// MS-DOS directory attribute, for readers that ignore the Unix mode.
const DOS_DIRECTORY: u32 = 0x10;

/// Writes a zip archive entry by entry; see the module documentation.
///
/// After an error the archive may be incomplete and should be abandoned.
pub struct ZipEncoder {
    /// Bytes produced so far: the offset of the next record.
    written: u64,
    /// Central directory records of the finished entries.
    central: Vec<u8>,
    entries: u64,
    open: Option<OpenFile>,
    /// Sizes and offsets at or above this take the ZIP64 fields. Always
    /// 0xFFFFFFFF except in tests, which lower it to reach the ZIP64 paths
    /// without writing 4 GiB.
    zip64_threshold: u64,
}

/// What the central directory needs to know about one entry.
struct Entry {
    name: String,
    folder: bool,
    size: u64,
    /// Offset of the local header.
    offset: u64,
    /// Known once the data has been streamed; 0 until then.
    crc: u32,
    dos_time: u16,
    dos_date: u16,
    /// For the "UT" extra field; None when the time does not fit it.
    unix_seconds: Option<i32>,
}

/// The file whose bytes are being streamed.
struct OpenFile {
    entry: Entry,
    fed: u64,
    hasher: crc32fast::Hasher,
}

impl ZipEncoder {
    pub fn new() -> Self {
        ZipEncoder { written: 0, central: Vec::new(), entries: 0, open: None, zip64_threshold: MAX_U32_FIELD }
    }

    /// An encoder that switches to ZIP64 fields from `threshold` on, so tests
    /// can take those paths with small entries.
    #[cfg(test)]
    fn with_zip64_threshold(threshold: u64) -> Self {
        ZipEncoder { zip64_threshold: threshold.min(MAX_U32_FIELD), ..ZipEncoder::new() }
    }

    /// Header of an empty folder entry; `path` is relative like "a/b" (the
    /// encoder appends '/').
    pub fn add_folder(&mut self, path: &str, modified_ms: i64) -> Result<Vec<u8>> {
        self.ensure_no_open_file(path)?;
        validate_path(path)?;
        let entry = Entry::new(format!("{path}/"), true, 0, self.written, modified_ms)?;
        let header = self.local_header(&entry);
        self.advance(header.len())?;
        self.push_central(&entry);
        Ok(header)
    }

    /// Local header of a file whose size is known in advance.
    pub fn start_file(&mut self, path: &str, size: u64, modified_ms: i64) -> Result<Vec<u8>> {
        self.ensure_no_open_file(path)?;
        validate_path(path)?;
        let entry = Entry::new(path.to_owned(), false, size, self.written, modified_ms)?;
        let header = self.local_header(&entry);
        self.advance(header.len())?;
        self.open = Some(OpenFile { entry, fed: 0, hasher: crc32fast::Hasher::new() });
        Ok(header)
    }

    /// Feeds the bytes of the current file (the caller sends them on itself);
    /// updates CRC and count. More bytes than announced are refused, since the
    /// size is already in the local header.
    pub fn file_data(&mut self, data: &[u8]) -> Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(Error::internal("zip: file data without an open file"));
        };
        let len = data.len() as u64;
        let fed = open.fed.checked_add(len).filter(|fed| *fed <= open.entry.size).ok_or_else(|| {
            Error::internal(format!(
                "zip entry {}: more than the announced {} bytes",
                quote(&open.entry.name),
                open.entry.size
            ))
        })?;
        let written = self.written.checked_add(len).ok_or_else(too_large)?;
        open.hasher.update(data);
        open.fed = fed;
        self.written = written;
        Ok(())
    }

    /// Ends the current file; errors if fewer/more bytes than announced were
    /// fed. Returns the data descriptor bytes. After a short count the file
    /// stays open, so the archive cannot be finished by mistake.
    pub fn finish_file(&mut self) -> Result<Vec<u8>> {
        let Some(open) = self.open.take() else {
            return Err(Error::internal("zip: finish_file without an open file"));
        };
        if open.fed != open.entry.size {
            let message =
                format!("zip entry {}: announced {} bytes, got {}", quote(&open.entry.name), open.entry.size, open.fed);
            self.open = Some(open);
            return Err(Error::internal(message));
        }
        let OpenFile { mut entry, hasher, .. } = open;
        entry.crc = hasher.finalize();
        let descriptor = self.data_descriptor(&entry);
        self.advance(descriptor.len())?;
        self.push_central(&entry);
        Ok(descriptor)
    }

    /// Central directory + (ZIP64 end record + locator when needed) + end of
    /// central directory.
    pub fn finish(self) -> Result<Vec<u8>> {
        if let Some(open) = &self.open {
            return Err(Error::internal(format!("zip entry {} is not finished", quote(&open.entry.name))));
        }
        let directory_offset = self.written;
        let directory_size = self.central.len() as u64;
        let zip64 = self.entries >= MAX_U16_FIELD
            || directory_offset >= self.zip64_threshold
            || directory_size >= self.zip64_threshold;
        let mut out = self.central;
        if zip64 {
            let zip64_end_offset = directory_offset.checked_add(directory_size).ok_or_else(too_large)?;
            put_zip64_end(&mut out, self.entries, directory_size, directory_offset);
            put_zip64_locator(&mut out, zip64_end_offset);
        }
        put_end(&mut out, self.entries, directory_size, directory_offset, zip64);
        Ok(out)
    }

    /// Bytes produced so far (headers + file data), i.e. the offset of the
    /// next record.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn ensure_no_open_file(&self, path: &str) -> Result<()> {
        match &self.open {
            Some(open) => Err(Error::internal(format!(
                "zip entry {} cannot start: {} is not finished",
                quote(path),
                quote(&open.entry.name)
            ))),
            None => Ok(()),
        }
    }

    fn advance(&mut self, len: usize) -> Result<()> {
        self.written = self.written.checked_add(len as u64).ok_or_else(too_large)?;
        Ok(())
    }

    fn push_central(&mut self, entry: &Entry) {
        let record = self.central_header(entry);
        self.central.extend_from_slice(&record);
        self.entries += 1;
    }

    /// Whether the sizes take ZIP64 fields: in the local header, the data
    /// descriptor and the central directory alike.
    fn sizes_zip64(&self, entry: &Entry) -> bool {
        entry.size >= self.zip64_threshold
    }

    fn offset_zip64(&self, entry: &Entry) -> bool {
        entry.offset >= self.zip64_threshold
    }

    /// The same "version needed" goes into both headers of an entry.
    fn version_needed(&self, entry: &Entry) -> u16 {
        if self.sizes_zip64(entry) || self.offset_zip64(entry) { VERSION_ZIP64 } else { VERSION_DEFAULT }
    }

    /// The local header. Its CRC is 0 (it follows in the data descriptor),
    /// but the sizes, known in advance, are filled in for streaming readers.
    fn local_header(&self, entry: &Entry) -> Vec<u8> {
        let sizes_zip64 = self.sizes_zip64(entry);
        let mut extra = Vec::new();
        if sizes_zip64 {
            // The local ZIP64 field always carries both sizes.
            put_u16(&mut extra, ZIP64_EXTRA_ID);
            put_u16(&mut extra, 16);
            put_u64(&mut extra, entry.size);
            put_u64(&mut extra, entry.size);
        }
        put_timestamp_extra(&mut extra, entry.unix_seconds);

        let size = field_u32(entry.size, sizes_zip64);
        let mut out = Vec::with_capacity(30 + entry.name.len() + extra.len());
        put_u32(&mut out, LOCAL_HEADER_SIGNATURE);
        put_u16(&mut out, self.version_needed(entry));
        put_u16(&mut out, entry.flags());
        put_u16(&mut out, METHOD_STORED);
        put_u16(&mut out, entry.dos_time);
        put_u16(&mut out, entry.dos_date);
        put_u32(&mut out, 0);
        put_u32(&mut out, size);
        put_u32(&mut out, size);
        put_u16(&mut out, entry.name.len() as u16);
        put_u16(&mut out, extra.len() as u16);
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&extra);
        out
    }

    /// The data descriptor; its sizes are 8 bytes exactly when the local
    /// header has a ZIP64 field, which is how readers tell the two forms apart.
    fn data_descriptor(&self, entry: &Entry) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        put_u32(&mut out, DATA_DESCRIPTOR_SIGNATURE);
        put_u32(&mut out, entry.crc);
        if self.sizes_zip64(entry) {
            put_u64(&mut out, entry.size);
            put_u64(&mut out, entry.size);
        } else {
            let size = field_u32(entry.size, false);
            put_u32(&mut out, size);
            put_u32(&mut out, size);
        }
        out
    }

    fn central_header(&self, entry: &Entry) -> Vec<u8> {
        let sizes_zip64 = self.sizes_zip64(entry);
        let offset_zip64 = self.offset_zip64(entry);
        let mut extra = Vec::new();
        if sizes_zip64 || offset_zip64 {
            // Only the fields whose classic value is 0xFFFFFFFF, in this order.
            let mut fields = Vec::with_capacity(24);
            if sizes_zip64 {
                put_u64(&mut fields, entry.size);
                put_u64(&mut fields, entry.size);
            }
            if offset_zip64 {
                put_u64(&mut fields, entry.offset);
            }
            put_u16(&mut extra, ZIP64_EXTRA_ID);
            put_u16(&mut extra, fields.len() as u16);
            extra.extend_from_slice(&fields);
        }
        put_timestamp_extra(&mut extra, entry.unix_seconds);

        let size = field_u32(entry.size, sizes_zip64);
        let (mode, dos_attributes) = if entry.folder { (FOLDER_MODE, DOS_DIRECTORY) } else { (FILE_MODE, 0) };
        let mut out = Vec::with_capacity(46 + entry.name.len() + extra.len());
        put_u32(&mut out, CENTRAL_HEADER_SIGNATURE);
        put_u16(&mut out, VERSION_MADE_BY);
        put_u16(&mut out, self.version_needed(entry));
        put_u16(&mut out, entry.flags());
        put_u16(&mut out, METHOD_STORED);
        put_u16(&mut out, entry.dos_time);
        put_u16(&mut out, entry.dos_date);
        put_u32(&mut out, entry.crc);
        put_u32(&mut out, size);
        put_u32(&mut out, size);
        put_u16(&mut out, entry.name.len() as u16);
        put_u16(&mut out, extra.len() as u16);
        put_u16(&mut out, 0); // comment length
        put_u16(&mut out, 0); // disk number
        put_u16(&mut out, 0); // internal attributes
        put_u32(&mut out, (mode << 16) | dos_attributes);
        put_u32(&mut out, field_u32(entry.offset, offset_zip64));
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&extra);
        out
    }
}

impl Default for ZipEncoder {
    fn default() -> Self {
        ZipEncoder::new()
    }
}

impl fmt::Debug for ZipEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZipEncoder")
            .field("written", &self.written)
            .field("entries", &self.entries)
            .field("open", &self.open.as_ref().map(|open| &open.entry.name))
            .finish()
    }
}

impl Entry {
    fn new(name: String, folder: bool, size: u64, offset: u64, modified_ms: i64) -> Result<Self> {
        if name.len() > MAX_NAME_BYTES {
            return Err(Error::invalid_argument(format!(
                "zip entry name {} is {} bytes long, more than {MAX_NAME_BYTES}",
                quote(&name),
                name.len()
            )));
        }
        let (dos_date, dos_time) = dos_date_time(modified_ms);
        let unix_seconds = i32::try_from(modified_ms.div_euclid(1000)).ok().filter(|seconds| *seconds >= 0);
        Ok(Entry { name, folder, size, offset, crc: 0, dos_time, dos_date, unix_seconds })
    }

    /// Folders have no data, hence nothing to describe after it.
    fn flags(&self) -> u16 {
        if self.folder { FLAG_UTF8 } else { FLAG_UTF8 | FLAG_DATA_DESCRIPTOR }
    }
}

/// Checks an entry path: relative, '/'-separated, and safe to extract (no
/// component that climbs out of the target folder or means something else on
/// Windows).
fn validate_path(path: &str) -> Result<()> {
    let problem = if path.is_empty() {
        Some("is empty")
    } else if path.starts_with('/') {
        Some("is absolute")
    } else if path.contains('\0') {
        Some("contains NUL")
    } else if path.contains('\\') {
        Some("contains a backslash")
    } else if path.split('/').any(str::is_empty) {
        Some("has an empty component")
    } else if path.split('/').any(|component| component == "." || component == "..") {
        Some("has a '.' or '..' component")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::invalid_argument(format!("zip entry name {} {problem}", quote(path)))),
        None => Ok(()),
    }
}

fn too_large() -> Error {
    Error::out_of_range("zip archive is larger than 2^64 bytes")
}

/// A classic 4-byte field: the value, or 0xFFFFFFFF when it lives in the
/// ZIP64 extra field.
fn field_u32(value: u64, zip64: bool) -> u32 {
    if zip64 { u32::MAX } else { u32::try_from(value).unwrap_or(u32::MAX) }
}

/// The MS-DOS (date, time) of a Unix time in milliseconds, taken as UTC.
/// The format only covers 1980 to 2107 with 2-second steps; times outside are
/// clamped to its ends.
fn dos_date_time(modified_ms: i64) -> (u16, u16) {
    const MIN: (u16, u16) = ((1 << 5) | 1, 0); // 1980-01-01 00:00:00
    const MAX: (u16, u16) = ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29); // 2107-12-31 23:59:58
    let seconds = modified_ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    if year < 1980 {
        return MIN;
    }
    if year > 2107 {
        return MAX;
    }
    let second_of_day = seconds.rem_euclid(86_400);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    let time = (hour << 11) | (minute << 5) | (second / 2);
    // Both fit 16 bits by construction.
    (date as u16, time as u16)
}

/// (year, month 1-12, day 1-31) of a day counted from 1970-01-01, in the
/// proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn put_timestamp_extra(out: &mut Vec<u8>, unix_seconds: Option<i32>) {
    if let Some(seconds) = unix_seconds {
        put_u16(out, TIMESTAMP_EXTRA_ID);
        put_u16(out, 5);
        out.push(TIMESTAMP_HAS_MODIFIED);
        out.extend_from_slice(&seconds.to_le_bytes());
    }
}

fn put_zip64_end(out: &mut Vec<u8>, entries: u64, directory_size: u64, directory_offset: u64) {
    put_u32(out, ZIP64_END_SIGNATURE);
    put_u64(out, 44); // size of the rest of this record
    put_u16(out, VERSION_MADE_BY);
    put_u16(out, VERSION_ZIP64);
    put_u32(out, 0); // this disk
    put_u32(out, 0); // disk of the central directory
    put_u64(out, entries); // on this disk
    put_u64(out, entries); // in total
    put_u64(out, directory_size);
    put_u64(out, directory_offset);
}

fn put_zip64_locator(out: &mut Vec<u8>, zip64_end_offset: u64) {
    put_u32(out, ZIP64_LOCATOR_SIGNATURE);
    put_u32(out, 0); // disk of the ZIP64 end record
    put_u64(out, zip64_end_offset);
    put_u32(out, 1); // number of disks
}

/// The classic end record; with ZIP64 all its counts and offsets say "see the
/// ZIP64 record", which also makes readers look for it.
fn put_end(out: &mut Vec<u8>, entries: u64, directory_size: u64, directory_offset: u64, zip64: bool) {
    let entries = if zip64 { u16::MAX } else { u16::try_from(entries).unwrap_or(u16::MAX) };
    put_u32(out, END_SIGNATURE);
    put_u16(out, 0); // this disk
    put_u16(out, 0); // disk of the central directory
    put_u16(out, entries); // on this disk
    put_u16(out, entries); // in total
    put_u32(out, field_u32(directory_size, zip64));
    put_u32(out, field_u32(directory_offset, zip64));
    put_u16(out, 0); // comment length
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// 2024-05-06 07:08:10 UTC.
    const MAY_2024_MS: i64 = 1_714_979_290_000;

    enum Item<'a> {
        Folder(&'a str),
        File(&'a str, &'a [u8]),
    }

    /// Builds an archive the way the server will: headers from the encoder,
    /// file bytes sent alongside (in two pieces, to exercise streaming).
    fn build(mut encoder: ZipEncoder, items: &[Item]) -> Vec<u8> {
        let mut archive = Vec::new();
        for item in items {
            match item {
                Item::Folder(path) => archive.extend(encoder.add_folder(path, MAY_2024_MS).unwrap()),
                Item::File(path, data) => {
                    archive.extend(encoder.start_file(path, data.len() as u64, MAY_2024_MS).unwrap());
                    let (head, tail) = data.split_at(data.len() / 2);
                    for piece in [head, tail] {
                        encoder.file_data(piece).unwrap();
                        archive.extend_from_slice(piece);
                    }
                    archive.extend(encoder.finish_file().unwrap());
                }
            }
            assert_eq!(encoder.written(), archive.len() as u64);
        }
        archive.extend(encoder.finish().unwrap());
        archive
    }

    /// A file in the temp folder, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn with(bytes: &[u8]) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("cordvault-zip-test-{}-{unique}.zip", std::process::id()));
            std::fs::write(&path, bytes).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn run_python(script: &str, archive: &Path) -> String {
        let output = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(archive)
            .env("PYTHONIOENCODING", "utf-8")
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "python3 failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// One entry as Python's zipfile reads it.
    #[derive(Debug, PartialEq)]
    struct PyEntry {
        name: String,
        size: u64,
        is_dir: bool,
        data: Vec<u8>,
        mode: String,
        extract_version: u16,
        /// Length of the central ZIP64 extra field's data, 0 without one.
        zip64_extra_len: usize,
        date_time: String,
    }

    /// Reads the archive with Python's zipfile after testzip() (which checks
    /// every CRC) found nothing wrong.
    fn python_entries(archive: &[u8]) -> Vec<PyEntry> {
        const SCRIPT: &str = r#"
import struct, sys, zipfile

def zip64_len(extra):
    while len(extra) >= 4:
        tag, size = struct.unpack('<HH', extra[:4])
        if tag == 1:
            return size
        extra = extra[4 + size:]
    return 0

with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, bad
    for i in z.infolist():
        print(i.filename, i.file_size, int(i.is_dir()), z.read(i).hex(), oct(i.external_attr >> 16),
              i.extract_version, zip64_len(i.extra), '%04d-%02d-%02d %02d:%02d:%02d' % i.date_time, sep='\t')
"#;
        let file = TempFile::with(archive);
        run_python(SCRIPT, &file.0)
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 8, "{line}");
                PyEntry {
                    name: fields[0].to_owned(),
                    size: fields[1].parse().unwrap(),
                    is_dir: fields[2] == "1",
                    data: hex::decode(fields[3]).unwrap(),
                    mode: fields[4].to_owned(),
                    extract_version: fields[5].parse().unwrap(),
                    zip64_extra_len: fields[6].parse().unwrap(),
                    date_time: fields[7].to_owned(),
                }
            })
            .collect()
    }

    /// Runs `unzip -t` when it is installed; it is stricter than Python about
    /// headers and offsets.
    fn unzip_test(archive: &[u8]) {
        let unzip = Path::new("/usr/bin/unzip");
        if !unzip.exists() {
            eprintln!("unzip not installed, skipping unzip -t");
            return;
        }
        let file = TempFile::with(archive);
        let output = Command::new(unzip).arg("-t").arg(&file.0).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "unzip -t failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("No errors detected"), "{stdout}");
    }

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
    }

    /// Reads the archive front to back as a streaming reader does, checking
    /// every data descriptor against the data; returns (name, data) pairs.
    fn walk_local_records(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut at = 0;
        let mut records = Vec::new();
        while u32_at(archive, at) == LOCAL_HEADER_SIGNATURE {
            let flags = u16_at(archive, at + 6);
            let name_len = usize::from(u16_at(archive, at + 26));
            let extra_len = usize::from(u16_at(archive, at + 28));
            let name = String::from_utf8(archive[at + 30..at + 30 + name_len].to_vec()).unwrap();
            let extra = &archive[at + 30 + name_len..at + 30 + name_len + extra_len];
            let zip64 = extra.len() >= 4 && u16_at(extra, 0) == ZIP64_EXTRA_ID;
            let size = if zip64 {
                assert_eq!(u32_at(archive, at + 22), u32::MAX);
                assert_eq!(u64_at(extra, 4), u64_at(extra, 12));
                u64_at(extra, 4)
            } else {
                u64::from(u32_at(archive, at + 22))
            };
            let data_start = at + 30 + name_len + extra_len;
            let data = archive[data_start..data_start + size as usize].to_vec();
            at = data_start + data.len();
            if flags & FLAG_DATA_DESCRIPTOR != 0 {
                assert_eq!(u32_at(archive, at), DATA_DESCRIPTOR_SIGNATURE, "{name}");
                assert_eq!(u32_at(archive, at + 4), crc32fast::hash(&data), "{name}");
                if zip64 {
                    assert_eq!((u64_at(archive, at + 8), u64_at(archive, at + 16)), (size, size), "{name}");
                    at += 24;
                } else {
                    assert_eq!((u32_at(archive, at + 8), u32_at(archive, at + 12)), (size as u32, size as u32));
                    at += 16;
                }
            } else {
                assert!(name.ends_with('/') && data.is_empty(), "{name}");
            }
            records.push((name, data));
        }
        let next = u32_at(archive, at);
        assert!(matches!(next, CENTRAL_HEADER_SIGNATURE | END_SIGNATURE | ZIP64_END_SIGNATURE), "{next:#x} at {at}");
        records
    }

    fn sample_items() -> Vec<Item<'static>> {
        vec![
            Item::File("hello.txt", b"Hello, world!\n"),
            Item::File("empty.bin", b""),
            Item::Folder("empty folder"),
            Item::Folder("a/b"),
            Item::File("Ünïcødé/日本.txt", "こんにちは".as_bytes()),
            Item::File("a/c/bytes.bin", &[0, 1, 2, 3, 255, 254, 253]),
        ]
    }

    /// Checks what Python read against the items, in order.
    fn assert_matches_items(entries: &[PyEntry], items: &[Item]) {
        assert_eq!(entries.len(), items.len());
        for (entry, item) in entries.iter().zip(items) {
            match item {
                Item::Folder(path) => {
                    assert_eq!(entry.name, format!("{path}/"));
                    assert!(entry.is_dir && entry.size == 0 && entry.data.is_empty(), "{entry:?}");
                    assert_eq!(entry.mode, "0o40755");
                }
                Item::File(path, data) => {
                    assert_eq!(entry.name, *path);
                    assert!(!entry.is_dir);
                    assert_eq!(entry.size, data.len() as u64);
                    assert_eq!(entry.data, *data);
                    assert_eq!(entry.mode, "0o100644");
                }
            }
            assert_eq!(entry.date_time, "2024-05-06 07:08:10");
        }
    }

    #[test]
    fn python_reads_a_small_archive() {
        let items = sample_items();
        let archive = build(ZipEncoder::new(), &items);
        let entries = python_entries(&archive);
        assert_matches_items(&entries, &items);
        assert!(entries.iter().all(|entry| entry.extract_version == VERSION_DEFAULT && entry.zip64_extra_len == 0));
        // Small archives end with the classic end record only.
        assert_eq!(u32_at(&archive, archive.len() - 22), END_SIGNATURE);
        assert!(!archive.windows(4).any(|window| window == ZIP64_END_SIGNATURE.to_le_bytes()));
        unzip_test(&archive);
    }

    #[test]
    fn streaming_readers_find_sizes_and_descriptors() {
        for encoder in [ZipEncoder::new(), ZipEncoder::with_zip64_threshold(0)] {
            let archive = build(encoder, &sample_items());
            let names: Vec<String> = walk_local_records(&archive).into_iter().map(|(name, _)| name).collect();
            assert_eq!(names, ["hello.txt", "empty.bin", "empty folder/", "a/b/", "Ünïcødé/日本.txt", "a/c/bytes.bin"]);
        }
    }

    #[test]
    fn empty_archive_is_valid() {
        let archive = ZipEncoder::new().finish().unwrap();
        assert_eq!(archive.len(), 22);
        assert!(python_entries(&archive).is_empty());
    }

    #[test]
    fn forced_zip64_for_every_entry() {
        let items = sample_items();
        let archive = build(ZipEncoder::with_zip64_threshold(0), &items);
        let entries = python_entries(&archive);
        assert_matches_items(&entries, &items);
        assert!(entries.iter().all(|entry| entry.extract_version == VERSION_ZIP64 && entry.zip64_extra_len == 24));
        assert_zip64_end(&archive, items.len() as u64);
        unzip_test(&archive);
    }

    #[test]
    fn zip64_by_offset_and_by_size_mixed_with_classic_entries() {
        // first.txt stays classic; big.bin starts below the threshold but is
        // larger than it (ZIP64 sizes only); the entries after it start past
        // the threshold (ZIP64 offsets only).
        let big = vec![7u8; 300];
        let items = vec![
            Item::File("first.txt", b"classic"),
            Item::File("big.bin", &big),
            Item::Folder("late folder"),
            Item::File("late.txt", b"late"),
            Item::File("empty.txt", b""),
        ];
        let archive = build(ZipEncoder::with_zip64_threshold(150), &items);
        let entries = python_entries(&archive);
        assert_matches_items(&entries, &items);
        let zip64: Vec<usize> = entries.iter().map(|entry| entry.zip64_extra_len).collect();
        // Sizes take 16 bytes, the offset 8.
        assert_eq!(zip64, [0, 16, 8, 8, 8]);
        for entry in &entries {
            let expected = if entry.zip64_extra_len > 0 { VERSION_ZIP64 } else { VERSION_DEFAULT };
            assert_eq!(entry.extract_version, expected, "{}", entry.name);
        }
        assert_zip64_end(&archive, items.len() as u64);
        walk_local_records(&archive);
        unzip_test(&archive);
    }

    /// The archive ends with a ZIP64 end record, its locator and a classic
    /// end record whose fields all point to the ZIP64 one.
    fn assert_zip64_end(archive: &[u8], entries: u64) {
        let end = archive.len() - 22;
        let locator = end - 20;
        let zip64_end = locator - 56;
        assert_eq!(u32_at(archive, end), END_SIGNATURE);
        assert_eq!(
            (u16_at(archive, end + 10), u32_at(archive, end + 12), u32_at(archive, end + 16)),
            (u16::MAX, u32::MAX, u32::MAX)
        );
        assert_eq!(u32_at(archive, locator), ZIP64_LOCATOR_SIGNATURE);
        assert_eq!(u64_at(archive, locator + 8), zip64_end as u64);
        assert_eq!(u32_at(archive, zip64_end), ZIP64_END_SIGNATURE);
        assert_eq!(u64_at(archive, zip64_end + 32), entries);
        let directory_size = u64_at(archive, zip64_end + 40);
        let directory_offset = u64_at(archive, zip64_end + 48);
        assert_eq!(directory_offset + directory_size, zip64_end as u64);
        assert_eq!(u32_at(archive, directory_offset as usize), CENTRAL_HEADER_SIGNATURE);
    }

    #[test]
    fn seventy_thousand_entries_use_zip64_end_records() {
        const COUNT: usize = 70_000;
        const SCRIPT: &str = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, bad
    infos = z.infolist()
    print(len(infos), infos[0].filename, infos[-1].filename, z.read(infos[-1]).decode())
"#;
        let mut encoder = ZipEncoder::new();
        let mut archive = Vec::new();
        for index in 0..COUNT {
            let data = index.to_string();
            archive.extend(encoder.start_file(&format!("d/{index}.txt"), data.len() as u64, MAY_2024_MS).unwrap());
            encoder.file_data(data.as_bytes()).unwrap();
            archive.extend_from_slice(data.as_bytes());
            archive.extend(encoder.finish_file().unwrap());
        }
        archive.extend(encoder.finish().unwrap());
        assert_zip64_end(&archive, COUNT as u64);

        let file = TempFile::with(&archive);
        let output = run_python(SCRIPT, &file.0);
        assert_eq!(output.trim(), "70000 d/0.txt d/69999.txt 69999");
    }

    #[test]
    fn wrong_byte_counts_are_errors() {
        let mut encoder = ZipEncoder::new();
        let header = encoder.start_file("a.txt", 4, 0).unwrap();
        encoder.file_data(b"abc").unwrap();
        assert!(encoder.file_data(b"de").is_err(), "more than announced");
        // Refused bytes are not counted.
        assert_eq!(encoder.written(), header.len() as u64 + 3);
        assert!(encoder.finish_file().is_err(), "fewer than announced");
        // The file stays open: the archive cannot be finished by mistake.
        assert!(encoder.start_file("b.txt", 0, 0).is_err());
        encoder.file_data(b"d").unwrap();
        encoder.finish_file().unwrap();
        encoder.finish().unwrap();

        let mut encoder = ZipEncoder::new();
        encoder.start_file("a.txt", 1, 0).unwrap();
        assert!(encoder.finish().is_err());
    }

    #[test]
    fn calls_out_of_order_are_errors() {
        let mut encoder = ZipEncoder::new();
        assert!(encoder.file_data(b"x").is_err());
        assert!(encoder.finish_file().is_err());
        encoder.start_file("a.txt", 1, 0).unwrap();
        assert!(encoder.start_file("b.txt", 1, 0).is_err());
        assert!(encoder.add_folder("c", 0).is_err());
        encoder.file_data(b"x").unwrap();
        encoder.finish_file().unwrap();
        assert!(encoder.finish_file().is_err());
        encoder.start_file("b.txt", 0, 0).unwrap();
        encoder.finish_file().unwrap();
        encoder.finish().unwrap();
    }

    #[test]
    fn bad_names_are_rejected() {
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        for name in ["", "/abs", "a/../b", "..", ".", "a/./b", "a\\b", "a\0b", "a//b", "a/", long.as_str()] {
            let mut encoder = ZipEncoder::new();
            let error = encoder.start_file(name, 0, 0).unwrap_err();
            assert_eq!(error.code, crate::ErrorCode::InvalidArgument, "{name:?}");
            assert!(encoder.add_folder(name, 0).is_err(), "{name:?}");
            assert_eq!(encoder.written(), 0);
        }
        // The appended '/' counts towards the limit.
        let longest = "x".repeat(MAX_NAME_BYTES);
        assert!(ZipEncoder::new().start_file(&longest, 0, 0).is_ok());
        assert!(ZipEncoder::new().add_folder(&longest, 0).is_err());
        assert!(ZipEncoder::new().add_folder(&longest[1..], 0).is_ok());
        // Names that merely contain dots are fine.
        assert!(ZipEncoder::new().start_file("..a/b../.c", 0, 0).is_ok());
    }

    #[test]
    fn dos_times_are_utc_and_clamped() {
        let date = |year: u16, month: u16, day: u16| ((year - 1980) << 9) | (month << 5) | day;
        let time = |hour: u16, minute: u16, second: u16| (hour << 11) | (minute << 5) | (second / 2);
        assert_eq!(dos_date_time(MAY_2024_MS), (date(2024, 5, 6), time(7, 8, 10)));
        assert_eq!(dos_date_time(MAY_2024_MS + 1999), (date(2024, 5, 6), time(7, 8, 10)));
        // 1980-01-01 00:00:00 and a leap day.
        assert_eq!(dos_date_time(315_532_800_000), (date(1980, 1, 1), 0));
        assert_eq!(dos_date_time(951_782_400_000 - 1000), (date(2000, 2, 28), time(23, 59, 58)));
        assert_eq!(dos_date_time(951_782_400_000), (date(2000, 2, 29), 0));
        // Out of range, including the extremes, is clamped.
        for ms in [0, -1, 315_532_800_000 - 1, i64::MIN] {
            assert_eq!(dos_date_time(ms), (date(1980, 1, 1), 0), "{ms}");
        }
        // 2108-01-01 00:00:00 UTC.
        for ms in [4_354_819_200_000, i64::MAX] {
            assert_eq!(dos_date_time(ms), (date(2107, 12, 31), time(23, 59, 58)), "{ms}");
        }
        assert_eq!(dos_date_time(4_354_819_200_000 - 1000), (date(2107, 12, 31), time(23, 59, 58)));
    }

    #[test]
    fn timestamp_extra_only_for_times_that_fit() {
        let unix = |ms: i64| Entry::new("a".to_owned(), false, 0, 0, ms).unwrap().unix_seconds;
        assert_eq!(unix(MAY_2024_MS + 999), Some(1_714_979_290));
        assert_eq!(unix(-1), None);
        assert_eq!(unix((i64::from(i32::MAX) + 1) * 1000), None);
        assert_eq!(unix(i64::MIN), None);
    }
}

//! How peers, listings and results are printed. Everything a peer sends is
//! shown with control characters escaped: a hostile name must not drive
//! the user's terminal.

use cordvault_peer::session::EntryKind;
use cordvault_peer::{GetReport, Peer, RemoteEntry};

/// `text` with control characters (escape sequences, newlines) escaped.
pub fn safe(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

pub fn address(peer: &Peer) -> String {
    match &peer.endpoint {
        Some(endpoint) if endpoint.address.contains(':') => format!("[{}]:{}", endpoint.address, endpoint.port),
        Some(endpoint) => format!("{}:{}", endpoint.address, endpoint.port),
        None => "client-only".to_owned(),
    }
}

/// `instance address fingerprint last-seen`, for `peer list`.
pub fn peer_line(peer: &Peer, now: u64) -> String {
    format!("{} {} {} {}s", peer.instance, address(peer), peer.fingerprint, now.saturating_sub(peer.last_seen))
}

/// The `list_peers` table.
pub fn peer_table(peers: &[Peer], now: u64) -> String {
    if peers.is_empty() {
        return "no live peers yet (adverts are read every 10 s)\n".to_owned();
    }
    let rows: Vec<[String; 4]> = peers
        .iter()
        .map(|peer| {
            let age = now.saturating_sub(peer.last_seen);
            [peer.instance.clone(), address(peer), format!("{age}s ago"), peer.fingerprint.clone()]
        })
        .collect();
    table(&["instance", "address", "last seen", "host key"], &rows)
}

fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// `ls` (names, folders with a `/`) or `ls -l` (kind, size, date, name).
pub fn listing(entries: &[RemoteEntry], long: bool) -> String {
    let mut out = String::new();
    for entry in entries {
        let name = safe(&entry.name);
        let suffix = if entry.kind == EntryKind::Dir { "/" } else { "" };
        if long {
            let kind = match entry.kind {
                EntryKind::Dir => 'd',
                EntryKind::Symlink => 'l',
                EntryKind::File => '-',
                EntryKind::Other => '?',
            };
            let modified = entry.modified.map(date).unwrap_or_else(|| "-".repeat(16));
            out.push_str(&format!("{kind} {:>14} {modified} {name}{suffix}\n", entry.size));
        } else {
            out.push_str(&format!("{name}{suffix}\n"));
        }
    }
    out
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC).
fn date(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let minutes = seconds % 86_400 / 60;
    // Civil date from days since 1970 (Howard Hinnant's algorithm).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", minutes / 60, minutes % 60)
}

pub fn print_get_report(report: &GetReport) {
    for path in &report.skipped_existing {
        eprintln!("skipped {}: it exists (get -f overwrites)", safe(&path.display().to_string()));
    }
    for (path, reason) in &report.failed {
        eprintln!("failed {}: {}", safe(path), safe(reason));
    }
    let files = if report.files == 1 { "file" } else { "files" };
    println!("{} {files} downloaded ({} bytes)", report.files, report.bytes);
}

#[cfg(test)]
mod tests {
    use super::{date, safe};

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(safe("plain ünïcødé"), "plain ünïcødé");
        assert_eq!(safe("evil\u{1b}[2Jname\n"), "evil\\u{1b}[2Jname\\n");
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01 00:00");
        assert_eq!(date(951_825_600), "2000-02-29 12:00");
        assert_eq!(date(1_796_659_612), "2026-12-07 16:06");
    }
}

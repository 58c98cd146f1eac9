//! Lines on stdout, with write errors returned instead of panicking (a closed
//! pipe makes `println!` panic).

use std::fmt::Display;
use std::io::Write;

pub fn print_line(line: impl Display) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

//! `parse_date` never panics, and a date it accepts is the one the text names: written back in
//! the shape it was read in, it gives the same text.
#![no_main]

use betadata_fuzz::dates::parse_date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(date) = parse_date(text) else { return };
    let trimmed = text.trim();
    let iso = date.format("%Y-%m-%d").to_string();
    let day_first = date.format("%d-%m-%Y").to_string();
    let slashed = date.format("%d/%m/%Y").to_string();
    assert!(
        [iso, day_first, slashed].contains(&trimmed.to_owned()),
        "{text:?} read as {date}"
    );
});

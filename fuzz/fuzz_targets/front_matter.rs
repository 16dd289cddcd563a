//! Splitting and parsing front matter never panics; what `split` returns are two pieces of the
//! file, the body being its end.
#![no_main]

use betadata_fuzz::front_matter::{parse, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok((yaml, body)) = split(text) {
        assert!(text.ends_with(body), "the body is the end of the file");
        assert!(text.contains(yaml), "the front matter comes from the file");
        assert!(
            yaml.len() + body.len() < text.len(),
            "the fences are left out"
        );
    }
    let _ = parse(text);
});

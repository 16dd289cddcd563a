//! Any bytes as one file of an import: a content-tree `_startups/x.md` (also as an incubator
//! and an organisation file) through the check and mapping of `betadata import`, and, when they
//! are text, a seed file of each kind through the seed loader's validation. Nothing may panic,
//! and a file is either loaded or reported with a problem.
#![no_main]

use betadata::db::IdSets;
use betadata::seed::content::{ContentFile, ContentKind, check};
use betadata::seed::{KnownIds, SeedFile, SeedKind, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = ContentKind::ALL[usize::from(selector) % ContentKind::ALL.len()];
    let file = ContentFile {
        path: format!("{}/x.md", kind.folder()),
        kind,
        id: "x".to_owned(),
        unsuffixed: false,
        bytes: bytes.to_vec(),
    };
    let set = check(&[file], IdSets::default());
    let files = set.files;
    assert_eq!(files.loaded + files.warned + files.rejected, 1, "{files:?}");
    if files.rejected == 1 || files.warned == 1 {
        assert!(!set.report.problems.is_empty(), "a file left out says why");
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let kind = SeedKind::ALL[usize::from(selector) % SeedKind::ALL.len()];
        let seed = SeedFile {
            path: kind.file_name().to_owned(),
            kind,
            text: text.to_owned(),
        };
        let _ = validate(&[seed], KnownIds::default());
    }
});

//! What the API publishes besides its resources: the datasets for download with their
//! TableSchema descriptors and Data Package, the DCAT catalog, the landing page, and
//! beta.gouv.fr's API v2.7 files under `/compat/v2.7`.

pub mod catalog;
pub mod compat;
pub mod datasets;
pub mod landing;

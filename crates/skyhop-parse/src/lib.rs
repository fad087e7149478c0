//! skyhop-parse: TODO (see DESIGN.md).

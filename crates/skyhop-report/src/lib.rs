//! skyhop-report: TODO (see DESIGN.md).

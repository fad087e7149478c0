//! skyhop-check: TODO (see DESIGN.md).

//! skyhop-deps: TODO (see DESIGN.md).

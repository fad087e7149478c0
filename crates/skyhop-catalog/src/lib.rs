//! skyhop-catalog: TODO (see DESIGN.md).

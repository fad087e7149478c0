//! skyhop-project: TODO (see DESIGN.md).

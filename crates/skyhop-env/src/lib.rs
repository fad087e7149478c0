//! skyhop-env: TODO (see DESIGN.md).

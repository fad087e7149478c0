//! skyhop-deploy: TODO (see DESIGN.md).

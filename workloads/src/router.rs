//! The global router: splits global traffic over regions (weights or follow-the-sun).

//! The Ferrolite LSM engine (filled by the engine issue).

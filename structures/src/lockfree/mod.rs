//! TEMPORARY stub: replaced by the lock-free skip list core.
/// Temporary alias.
pub type EpochSkipList<K, V> = crate::reference::MutexBTreeMap<K, V>;
/// Temporary alias.
pub type HazardSkipList<K, V> = crate::reference::MutexBTreeMap<K, V>;
/// Temporary alias.
pub type NoReclaimSkipList<K, V> = crate::reference::MutexBTreeMap<K, V>;

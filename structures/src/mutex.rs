//! TEMPORARY stub: replaced by the sequential skip list behind a lock.
/// Temporary alias until the mutex skip list lands.
pub type MutexSkipList<K, V> = crate::reference::MutexBTreeMap<K, V>;

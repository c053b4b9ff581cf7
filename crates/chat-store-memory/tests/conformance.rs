//! The shared store conformance suite, run against a fresh `MemoryStore` per case.

chat_store_conformance::store_conformance_tests!(|| async {
    std::sync::Arc::new(chat_store_memory::MemoryStore::new())
        as std::sync::Arc<dyn chat_core::store::Store>
});

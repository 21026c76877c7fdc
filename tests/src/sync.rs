//! Semaphores, mutexes, wait queues and completions (being written).

#ifndef EXPRUN_ALLOCATION_COUNTER_H
#define EXPRUN_ALLOCATION_COUNTER_H

/// A malloc counter for tests: while counting is on, every malloc, calloc, realloc,
/// aligned_alloc, memalign and posix_memalign made by the calling thread is counted (other threads are not). The test
/// executable defines these functions and forwards them to glibc's own (__libc_malloc...),
/// so allocation itself is unchanged. Available on glibc only; elsewhere nothing is counted.

/// 1 when the counter works on this platform, 0 otherwise.
int exprun_allocation_counter_available(void);
/// Starts counting the calling thread's allocations from 0.
void exprun_allocation_counter_start(void);
/// Stops counting and returns the number of allocations since the start.
long exprun_allocation_counter_stop(void);

#endif

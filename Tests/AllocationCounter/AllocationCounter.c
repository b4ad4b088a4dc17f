#include "AllocationCounter.h"
#include <stddef.h>
#if defined(__linux__)
#include <features.h>   // defines __GLIBC__ on glibc
#endif

#if defined(__linux__) && defined(__GLIBC__)
#include <errno.h>

// glibc's allocator under its own names: the definitions below forward to it.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

// Initial-exec TLS: reading it never calls into the allocator (no __tls_get_addr).
static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread long allocations __attribute__((tls_model("initial-exec")));

void *malloc(size_t size) {
    if (counting) allocations += 1;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (counting) allocations += 1;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    if (counting) allocations += 1;
    return __libc_realloc(pointer, size);
}

// The Swift runtime takes over-aligned memory from aligned_alloc.
void *aligned_alloc(size_t alignment, size_t size) {
    if (counting) allocations += 1;
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (counting) allocations += 1;
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (counting) allocations += 1;
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

int exprun_allocation_counter_available(void) { return 1; }
void exprun_allocation_counter_start(void) { allocations = 0; counting = 1; }
long exprun_allocation_counter_stop(void) { counting = 0; return allocations; }

#else

int exprun_allocation_counter_available(void) { return 0; }
void exprun_allocation_counter_start(void) {}
long exprun_allocation_counter_stop(void) { return 0; }

#endif

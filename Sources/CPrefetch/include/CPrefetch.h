#ifndef TUNEKIT_CPREFETCH_H
#define TUNEKIT_CPREFETCH_H

/// Asks the CPU to bring the cache line holding `address` into every cache level, for reading soon: loops over rows
/// scattered in memory issue it a few rows ahead (hardware prefetchers do not follow an index array).
static inline void tunekit_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif

/* timespec <-> nanoseconds for the kernel's timer calls (timers.c, timerfd.c). */
#ifndef OCCLUM_TIMESPEC_H
#define OCCLUM_TIMESPEC_H
#include <stdint.h>
#include <time.h>

/* Linux's check of a timer's times: no negative field, nanoseconds under a second (else EINVAL). */
static inline int occlum_ts_valid(const struct timespec *ts) { return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L; }
static inline uint64_t occlum_ts_ns(const struct timespec *ts) { return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec; }
static inline struct timespec occlum_ns_ts(uint64_t ns) { return (struct timespec){(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)}; }

#endif

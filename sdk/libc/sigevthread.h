/*
 * SIGEV_THREAD for the kernel's notifications (timers.c, mqueue.c): the kernel cannot start a
 * thread in the guest, so the libc starts one per registration, as musl does, that waits in the
 * kernel for the notification and calls the sigevent's function.
 */
#ifndef OCCLUM_SIGEVTHREAD_H
#define OCCLUM_SIGEVTHREAD_H
#include <signal.h>
#include <stdint.h>

struct occlum_notifier {
  /* The kernel's handle the thread waits on (a timer id, a message queue's token). */
  int32_t id;
  void (*fn)(union sigval);
  union sigval value;
  /* The thread's work, with every signal blocked: wait for the notification(s), call fn. */
  void (*body)(const struct occlum_notifier *);
};

/*
 * Start the detached notifying thread with `ev`'s attributes: `body` runs in it for `id`.
 * 0, or EAGAIN when no thread could be made (the caller undoes its registration).
 */
int occlum_sigev_thread(const struct sigevent *ev, int32_t id, void (*body)(const struct occlum_notifier *));

#endif

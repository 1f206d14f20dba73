/* SIGEV_THREAD's notifying threads (sigevthread.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "sigevthread.h"

static void *start(void *arg) {
  struct occlum_notifier n = *(struct occlum_notifier *)arg;
  free(arg);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  n.body(&n);
  return NULL;
}

int occlum_sigev_thread(const struct sigevent *ev, int32_t id, void (*body)(const struct occlum_notifier *)) {
  struct occlum_notifier *n = malloc(sizeof *n);
  if (!n) return EAGAIN;
  *n = (struct occlum_notifier){id, ev->sigev_notify_function, ev->sigev_value, body};
  pthread_attr_t attr;
  if (ev->sigev_notify_attributes) attr = *ev->sigev_notify_attributes;
  else pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  if (pthread_create(&th, &attr, start, n) != 0) {
    free(n);
    return EAGAIN;
  }
  return 0;
}

/*
 * prctl(), which wasix-libc lacks (sdk/include/sys/prctl.h): PR_SET_NAME and PR_GET_NAME name the
 * calling thread through the kernel's comm (occlum.thread_name_set/get, as pthread_setname_np in
 * threads.c): a name is cut to 15 bytes, and PR_GET_NAME fills 16 with the NUL, as Linux.
 * PR_SET_PDEATHSIG/PR_GET_PDEATHSIG: the signal this process gets when the thread that spawned it
 * ends (occlum.pdeath_signal; src/libos/process/pdeath.ts). Other options fail with EINVAL,
 * Linux's answer for an option it does not know.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_thread_name_set(int32_t tid, const char *name, uint32_t len) OCCLUM_IMPORT(thread_name_set);
int32_t __occlum_thread_name_get(int32_t tid, char *buf, uint32_t len, uint32_t *n) OCCLUM_IMPORT(thread_name_get);
int32_t __occlum_pdeath_signal(int32_t sig, uint32_t *was) OCCLUM_IMPORT(pdeath_signal);

int prctl(int option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned long arg2 = va_arg(ap, unsigned long);
  va_end(ap);
  int e;
  switch (option) {
    case PR_SET_NAME: {
      const char *name = (const char *)arg2;
      e = __occlum_thread_name_set(0, name, (uint32_t)strnlen(name, 15));
      break;
    }
    case PR_GET_NAME: {
      uint32_t n = 0;
      e = __occlum_thread_name_get(0, (char *)arg2, 16, &n);
      break;
    }
    case PR_SET_PDEATHSIG: {
      uint32_t was = 0;
      e = arg2 > 64 ? EINVAL : __occlum_pdeath_signal((int32_t)arg2, &was);
      break;
    }
    case PR_GET_PDEATHSIG: {
      uint32_t was = 0;
      e = __occlum_pdeath_signal(-1, &was);
      if (!e) *(int *)arg2 = (int)was;
      break;
    }
    default:
      e = EINVAL;
  }
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

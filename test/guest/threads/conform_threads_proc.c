/*
 * Differential conformance of threads, part 3 of 3: what involves the whole process. Process-
 * shared and priority-inheritance attributes, thread names, a caller-supplied stack and main's
 * own attributes, C11 threads, named semaphores, a process-directed signal taken by the one
 * thread not blocking it; then "done". argv[1] picks a process-ending mode instead: exit() from a
 * thread, pthread_exit() from main, a return from main with threads running, abort() in a
 * thread, a fatal signal sent to a thread. Runs after conform_threads_life.c.
 */
#include "conform_threads.h"

static void *name_thread(void *arg) {
  (void)arg;
  usleep(30000);
  return 0;
}
static void attrs(void) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  P("mutexattr_setpshared SHARED", pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
  P("mutexattr_setpshared 9", pthread_mutexattr_setpshared(&ma, 9));
  P("mutexattr_setprotocol INHERIT", pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT));
  pthread_mutex_t pim;
  P("PI mutex init", pthread_mutex_init(&pim, &ma));
  P("PI mutex lock", pthread_mutex_lock(&pim));
  P("PI mutex trylock by other thread", in_other(&pim, 1));
  P("PI mutex unlock", pthread_mutex_unlock(&pim));
  P("PI mutex trylock", pthread_mutex_trylock(&pim));
  P("PI mutex unlock", pthread_mutex_unlock(&pim));
  pthread_mutexattr_destroy(&ma);
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  P("barrierattr_setpshared SHARED", pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED));
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  P("condattr_setpshared SHARED", pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  P("rwlockattr_setpshared SHARED", pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED));

  pthread_t t;
  pthread_create(&t, 0, name_thread, 0);
  P("setname_np short", pthread_setname_np(t, "worker-1"));
  char name[32] = "?";
  P("getname_np", pthread_getname_np(t, name, sizeof name));
  printf("  name: %s\n", name);
  P("setname_np 16 chars", pthread_setname_np(t, "0123456789abcdef"));
  P("getname_np short buffer", pthread_getname_np(t, name, 4));
  P("getname_np after ERANGE", pthread_getname_np(t, name, sizeof name));
  printf("  name: %s\n", name);
  P("setname_np self", pthread_setname_np(pthread_self(), "main-x"));
  pthread_getname_np(pthread_self(), name, sizeof name);
  printf("  self name: %s\n", name);
  pthread_join(t, 0);

  pthread_attr_t a;
  pthread_attr_init(&a);
  size_t sz = 256 * 1024;
  void *stk = aligned_alloc(65536, sz);
  P("attr_setstack", pthread_attr_setstack(&a, stk, sz));
  void *got = 0;
  size_t gsz = 0;
  pthread_attr_getstack(&a, &got, &gsz);
  printf("  getstack same: %d %d\n", got == stk, gsz == sz);
  P("create on own stack", pthread_create(&t, &a, returner, (void *)5));
  void *r = 0;
  pthread_join(t, &r);
  printf("  value: %d\n", (int)(intptr_t)r);
  pthread_attr_destroy(&a);
  pthread_attr_t ma2;
  P("getattr_np main", pthread_getattr_np(pthread_self(), &ma2));
  int ds = -1;
  pthread_attr_getdetachstate(&ma2, &ds);
  printf("  main joinable: %d\n", ds == PTHREAD_CREATE_JOINABLE);
  void *mlo = 0;
  size_t msz = 0;
  pthread_attr_getstack(&ma2, &mlo, &msz);
  char here;
  printf("  main stack >= 64K: %d, holds a local: %d\n", msz >= 65536, &here >= (char *)mlo && &here < (char *)mlo + msz);
  pthread_attr_destroy(&ma2);
  printf("getpid in thread == main: ");
  fflush(stdout);
  pthread_create(&t, 0, returner, (void *)(intptr_t)getpid());
  pthread_join(t, &r);
  printf("%d\n", (int)(intptr_t)r == getpid());
}

/* ---- C11 threads ---- */
static mtx_t c11m;
static cnd_t c11c;
static tss_t c11k;
static int c11_dtor_calls;
static void c11_dtor(void *v) { (void)v; __atomic_add_fetch(&c11_dtor_calls, 1, __ATOMIC_SEQ_CST); }
static once_flag c11once = ONCE_FLAG_INIT;
static int c11once_calls;
static void c11_once(void) { c11once_calls++; }
static int c11_thread(void *arg) {
  tss_set(c11k, arg);
  call_once(&c11once, c11_once);
  return mtx_trylock(&c11m) == thrd_busy ? 33 : 44;
}
static void c11(void) {
  printf("mtx_init timed: %d\n", mtx_init(&c11m, mtx_timed) == thrd_success);
  printf("cnd_init: %d\n", cnd_init(&c11c) == thrd_success);
  printf("tss_create: %d\n", tss_create(&c11k, c11_dtor) == thrd_success);
  mtx_lock(&c11m);
  thrd_t t;
  printf("thrd_create: %d\n", thrd_create(&t, c11_thread, (void *)1) == thrd_success);
  int res = 0;
  int jr = thrd_join(t, &res);
  printf("thrd_join: %d res=%d\n", jr == thrd_success, res);
  printf("tss dtor calls: %d, call_once calls: %d\n", c11_dtor_calls, c11once_calls);
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  ts.tv_nsec += 30000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  printf("cnd_timedwait timedout: %d\n", cnd_timedwait(&c11c, &c11m, &ts) == thrd_timedout);
  mtx_unlock(&c11m);
  printf("thrd_equal self: %d\n", thrd_equal(thrd_current(), thrd_current()) != 0);
  struct timespec d = {0, 1000000};
  printf("thrd_sleep: %d\n", thrd_sleep(&d, 0));
  thrd_yield();
  mtx_destroy(&c11m);
  cnd_destroy(&c11c);
}

/* ---- named semaphores ---- */
static void named_sems(void) {
  sem_unlink("/k3sem");
  sem_t *s = sem_open("/k3sem", O_CREAT | O_EXCL, 0600, 1);
  printf("sem_open create: %s\n", s == SEM_FAILED ? en(errno) : "ok");
  if (s == SEM_FAILED) return;
  sem_t *s2 = sem_open("/k3sem", O_CREAT | O_EXCL, 0600, 1);
  printf("sem_open O_EXCL again: %s\n", s2 == SEM_FAILED ? en(errno) : "ok");
  S("sem_wait named", sem_wait(s));
  S("sem_trywait named", sem_trywait(s));
  S("sem_post named", sem_post(s));
  S("sem_close", sem_close(s));
  S("sem_unlink", sem_unlink("/k3sem"));
  S("sem_unlink again", sem_unlink("/k3sem"));
  s = sem_open("/k3sem", 0);
  printf("sem_open missing: %s\n", s == SEM_FAILED ? en(errno) : "ok");
}

/* ---- process-directed signals and inherited masks ---- */
static volatile int taker; /* 1 main, 2 the child */
static pthread_t main_thread;
static pthread_t taker_child;
static void on_usr1_taker(int s) {
  (void)s;
  taker = pthread_equal(pthread_self(), taker_child) ? 2 : pthread_equal(pthread_self(), main_thread) ? 1 : 3;
}
static sem_t tk_ready, tk_go;
static int child_mask_has_usr1;
static void *taker_thread(void *arg) {
  (void)arg;
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, 0, &cur);
  child_mask_has_usr1 = sigismember(&cur, SIGUSR1);
  sigset_t un;
  sigemptyset(&un);
  sigaddset(&un, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &un, 0);
  sem_post(&tk_ready);
  while (sem_wait(&tk_go) != 0) {} /* EINTR from the handler: wait again */
  return 0;
}
static void directed(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1_taker;
  sigaction(SIGUSR1, &sa, 0);
  main_thread = pthread_self();
  sigset_t b, old;
  sigemptyset(&b);
  sigaddset(&b, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &b, &old);
  sem_init(&tk_ready, 0, 0);
  sem_init(&tk_go, 0, 0);
  pthread_create(&taker_child, 0, taker_thread, 0);
  sem_wait(&tk_ready);
  printf("new thread inherits the blocked mask: %d\n", child_mask_has_usr1);
  S("kill(getpid(), USR1) with main blocking it", kill(getpid(), SIGUSR1));
  for (int i = 0; i < 2000 && !taker; i++) usleep(1000);
  printf("  taken by: %s\n", taker == 2 ? "the thread that does not block it" : taker == 1 ? "main" : "none");
  sem_post(&tk_go);
  pthread_join(taker_child, 0);
  pthread_sigmask(SIG_SETMASK, &old, 0);
}

/* ---- process-ending modes ---- */
static pthread_mutex_t never = PTHREAD_MUTEX_INITIALIZER;
static void *blocked_forever(void *arg) {
  (void)arg;
  pthread_mutex_lock(&never);
  return 0;
}
static int exit_pipe[2];
static void *blocked_in_read(void *arg) {
  (void)arg;
  char c;
  read(exit_pipe[0], &c, 1);
  return 0;
}
static void *exit_from_thread(void *arg) {
  (void)arg;
  usleep(20000);
  printf("thread calls exit(5)\n");
  exit(5);
}
static int late_done;
static void *late(void *arg) {
  usleep(50000);
  late_done = 1;
  printf("late thread done (%d)\n", (int)(intptr_t)arg);
  fflush(stdout);
  return 0;
}
static void *sig_to_me(void *arg) {
  (void)arg;
  usleep(20000);
  pthread_kill(pthread_self(), SIGTERM);
  printf("not reached\n");
  return 0;
}
static void *aborter(void *arg) {
  (void)arg;
  usleep(20000);
  abort();
}
static void atexit_handler(void) { printf("atexit ran\n"); }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "cases";
  if (!strcmp(mode, "exit-thread")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2, t3;
    pipe(exit_pipe);
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t3, 0, blocked_in_read, 0);
    pthread_create(&t2, 0, exit_from_thread, 0);
    pthread_join(t1, 0);
    printf("main not reached\n");
    return 0;
  }
  if (!strcmp(mode, "main-pthread-exit")) {
    atexit(atexit_handler);
    pthread_t t;
    pthread_create(&t, 0, late, (void *)1);
    printf("main calls pthread_exit\n");
    fflush(stdout);
    pthread_exit(0);
  }
  if (!strcmp(mode, "main-return")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t;
    pthread_create(&t, 0, blocked_forever, 0);
    printf("main returns 4\n");
    return 4;
  }
  if (!strcmp(mode, "thread-abort")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2;
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t2, 0, aborter, 0);
    pthread_join(t1, 0);
    return 0;
  }
  if (!strcmp(mode, "thread-sigterm")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2;
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t2, 0, sig_to_me, 0);
    pthread_join(t1, 0);
    return 0;
  }
  attrs();
  c11();
  named_sems();
  directed();
  printf("done\n");
  return 0;
}

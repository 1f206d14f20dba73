/*
 * Differential conformance of threads, part 2 of 3: a thread's life. Keys and their destructors,
 * join/detach and their errors, stacks, semaphores, scheduling and affinity queries, signals to a
 * thread (pthread_kill, masks), TLS and errno, deferred cancellation, and a handler interrupting
 * a sleeping thread. Runs after conform_threads_sync.c, before conform_threads_proc.c.
 */
#include "conform_threads.h"

static pthread_key_t k1, k2, k3;
static int d1_sum, d1_calls, d2_calls, d3_calls;
static pthread_mutex_t km = PTHREAD_MUTEX_INITIALIZER;
static void d1(void *v) {
  pthread_mutex_lock(&km);
  d1_sum += (int)(intptr_t)v;
  d1_calls++;
  pthread_mutex_unlock(&km);
}
static void d2(void *v) { (void)v; __atomic_add_fetch(&d2_calls, 1, __ATOMIC_SEQ_CST); }
/* Re-sets its value twice: called 3 times (PTHREAD_DESTRUCTOR_ITERATIONS is 4). */
static void d3(void *v) {
  int n = (int)(intptr_t)v;
  __atomic_add_fetch(&d3_calls, 1, __ATOMIC_SEQ_CST);
  if (n < 3) pthread_setspecific(k3, (void *)(intptr_t)(n + 1));
}
static void *key_thread(void *arg) {
  int i = (int)(intptr_t)arg;
  if (pthread_getspecific(k1) != 0) __atomic_add_fetch(&d1_sum, 1000000, __ATOMIC_SEQ_CST);
  pthread_setspecific(k1, (void *)(intptr_t)(i + 1));
  /* k2's value is left NULL: no destructor call. */
  if (i == 0) pthread_setspecific(k3, (void *)(intptr_t)1);
  if (i == 1) pthread_exit(0);
  return 0;
}
static void keys(void) {
  P("key_create k1", pthread_key_create(&k1, d1));
  P("key_create k2", pthread_key_create(&k2, d2));
  P("key_create k3", pthread_key_create(&k3, d3));
  pthread_setspecific(k1, (void *)(intptr_t)500);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, key_thread, (void *)(intptr_t)i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
  printf("key destructors: d1 calls=%d sum=%d d2 calls=%d d3 calls=%d\n", d1_calls, d1_sum, d2_calls, d3_calls);
  printf("main value kept: %d\n", (int)(intptr_t)pthread_getspecific(k1));
  P("key_delete k2", pthread_key_delete(k2));
  P("setspecific k1", pthread_setspecific(k1, 0));
}

static volatile int release;
static void *blocker(void *arg) {
  while (!release) usleep(1000);
  return arg;
}
static void *exiter(void *arg) {
  pthread_exit((char *)arg + 1);
  return 0;
}
static pthread_t main_thread;
static int child_equal_main, child_equal_self;
static void *ident(void *arg) {
  (void)arg;
  child_equal_main = pthread_equal(pthread_self(), main_thread) != 0;
  child_equal_self = pthread_equal(pthread_self(), pthread_self()) != 0;
  return (void *)(intptr_t)gettid();
}
static void joins(void) {
  pthread_t t;
  void *r = 0;
  static char buf[4];
  pthread_create(&t, 0, exiter, buf);
  P("join pthread_exit value", pthread_join(t, &r));
  printf("  value is arg+1: %d\n", r == buf + 1);
  pthread_create(&t, 0, returner, (void *)(intptr_t)77);
  P("join return value", pthread_join(t, &r));
  printf("  value: %d\n", (int)(intptr_t)r);
  pthread_create(&t, 0, returner, 0);
  P("join NULL retval", pthread_join(t, 0));
  P("join self", pthread_join(pthread_self(), &r));

  main_thread = pthread_self();
  printf("equal(self, self): %d\n", pthread_equal(pthread_self(), pthread_self()) != 0);
  pthread_create(&t, 0, ident, 0);
  pthread_join(t, &r);
  printf("child equal main: %d, child equal self: %d, equal(main, child): %d\n", child_equal_main, child_equal_self, pthread_equal(main_thread, t) != 0);
  pid_t child_tid = (pid_t)(intptr_t)r;
  printf("gettid: main == getpid: %d, child distinct: %d, child > 0: %d\n", gettid() == getpid(), child_tid != gettid(), child_tid > 0);

  /* detach of a running thread, then join of it: EINVAL */
  release = 0;
  pthread_create(&t, 0, blocker, 0);
  P("detach running", pthread_detach(t));
  P("join detached (running)", pthread_join(t, &r));
  release = 1;
  usleep(50000);

  pthread_attr_t a;
  pthread_attr_init(&a);
  int ds = -1;
  pthread_attr_getdetachstate(&a, &ds);
  printf("attr default JOINABLE: %d\n", ds == PTHREAD_CREATE_JOINABLE);
  P("attr_setdetachstate 7", pthread_attr_setdetachstate(&a, 7));
  P("attr_setdetachstate DETACHED", pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
  release = 0;
  P("create detached", pthread_create(&t, &a, blocker, 0));
  P("join created-detached (running)", pthread_join(t, &r));
  release = 1;
  usleep(50000);
  pthread_attr_destroy(&a);

  /* tryjoin/timedjoin of a running thread */
  release = 0;
  pthread_create(&t, 0, blocker, (void *)(intptr_t)9);
  P("tryjoin_np running", pthread_tryjoin_np(t, &r));
  struct timespec ts = in_ms(CLOCK_REALTIME, 30);
  P("timedjoin_np running", pthread_timedjoin_np(t, &r, &ts));
  release = 1;
  ts = in_ms(CLOCK_REALTIME, 5000);
  P("timedjoin_np finishing", pthread_timedjoin_np(t, &r, &ts));
  printf("  value: %d\n", (int)(intptr_t)r);
}

static size_t seen_stack;
static int deep_ok;
static void *stack_thread(void *arg) {
  (void)arg;
  pthread_attr_t a;
  size_t s = 0;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getstacksize(&a, &s);
    pthread_attr_destroy(&a);
  }
  seen_stack = s;
  volatile char big[768 * 1024];
  for (size_t i = 0; i < sizeof big; i += 4096) big[i] = (char)i;
  deep_ok = big[4096] == (char)4096;
  return 0;
}
static void stacks(void) {
  pthread_attr_t a;
  size_t s = 0;
  pthread_attr_init(&a);
  pthread_attr_getstacksize(&a, &s);
  printf("attr default stacksize >= 16K: %d\n", s >= 16384);
  P("attr_setstacksize 1 MiB", pthread_attr_setstacksize(&a, 1 << 20));
  pthread_attr_getstacksize(&a, &s);
  printf("attr_getstacksize: %zu\n", s);
  P("attr_setstacksize 100", pthread_attr_setstacksize(&a, 100));
  pthread_attr_getstacksize(&a, &s);
  printf("attr_getstacksize after EINVAL: %zu\n", s);
  pthread_t t;
  P("create with 1 MiB stack", pthread_create(&t, &a, stack_thread, 0));
  pthread_join(t, 0);
  printf("getattr_np stack >= 1 MiB: %d, 768K array ok: %d\n", seen_stack >= (1u << 20), deep_ok);
  size_t g = 0;
  pthread_attr_getguardsize(&a, &g);
  printf("attr default guardsize > 0: %d\n", g > 0);
  int sc = -1;
  pthread_attr_getscope(&a, &sc);
  printf("attr scope SYSTEM: %d\n", sc == PTHREAD_SCOPE_SYSTEM);
  P("attr_setscope PROCESS", pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS));
  pthread_attr_destroy(&a);
  int pol = -1;
  struct sched_param sp = {.sched_priority = -1};
  P("getschedparam self", pthread_getschedparam(pthread_self(), &pol, &sp));
  printf("  policy OTHER: %d, priority: %d\n", pol == SCHED_OTHER, sp.sched_priority);
}

static sem_t sem;
static void *sem_poster(void *arg) {
  (void)arg;
  usleep(20000);
  sem_post(&sem);
  return 0;
}
static void sems(void) {
  int v = -1;
  S("sem_init 2", sem_init(&sem, 0, 2));
  sem_getvalue(&sem, &v);
  printf("sem_getvalue: %d\n", v);
  S("sem_trywait 1", sem_trywait(&sem));
  S("sem_wait 2", sem_wait(&sem));
  S("sem_trywait empty", sem_trywait(&sem));
  sem_getvalue(&sem, &v);
  printf("sem_getvalue empty: %d\n", v);
  struct timespec a, b, t = in_ms(CLOCK_REALTIME, 50);
  clock_gettime(CLOCK_MONOTONIC, &a);
  S("sem_timedwait 50ms", sem_timedwait(&sem, &t));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long e = elapsed_ms(&a, &b);
  printf("sem_timedwait waited 50ms..10s: %d\n", e >= 49 && e < 10000);
  struct timespec bad = {time(0) + 5, 1000000000L};
  S("sem_timedwait bad nsec (empty)", sem_timedwait(&sem, &bad));
  struct timespec past = {1, 0};
  S("sem_timedwait past (empty)", sem_timedwait(&sem, &past));
  S("sem_post", sem_post(&sem));
  S("sem_timedwait bad nsec (available)", sem_timedwait(&sem, &bad));
  S("sem_timedwait past (available)", sem_timedwait(&sem, &past));
  pthread_t th;
  pthread_create(&th, 0, sem_poster, 0);
  S("sem_wait woken by post", sem_wait(&sem));
  pthread_join(th, 0);
  pthread_create(&th, 0, sem_poster, 0);
  t = in_ms(CLOCK_REALTIME, 5000);
  S("sem_timedwait woken by post", sem_timedwait(&sem, &t));
  pthread_join(th, 0);
  sem_getvalue(&sem, &v);
  printf("sem_getvalue end: %d\n", v);
  S("sem_init SEM_VALUE_MAX+1", sem_init(&sem, 0, (unsigned)SEM_VALUE_MAX + 1u));
  S("sem_init SEM_VALUE_MAX", sem_init(&sem, 0, SEM_VALUE_MAX));
  S("sem_post at SEM_VALUE_MAX", sem_post(&sem));
  S("sem_destroy", sem_destroy(&sem));
}

static void misc(void) {
  S("sched_yield", sched_yield());
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  printf("sysconf NPROCESSORS_ONLN > 0: %s\n", n > 0 ? "ok" : "bad");
  printf("sysconf NPROCESSORS_CONF >= ONLN: %s\n", sysconf(_SC_NPROCESSORS_CONF) >= n ? "ok" : "bad");
  cpu_set_t set;
  CPU_ZERO(&set);
  int r = sched_getaffinity(0, sizeof set, &set);
  printf("sched_getaffinity: %d count > 0: %s\n", r, CPU_COUNT(&set) > 0 ? "ok" : "bad");
  S("sched_setaffinity same set", sched_setaffinity(0, sizeof set, &set));
  cpu_set_t none;
  CPU_ZERO(&none);
  S("sched_setaffinity empty set", sched_setaffinity(0, sizeof none, &none));
  S("sched_get_priority_max OTHER", sched_get_priority_max(SCHED_OTHER));
  S("sched_get_priority_min OTHER", sched_get_priority_min(SCHED_OTHER));
  S("sched_get_priority_max FIFO", sched_get_priority_max(SCHED_FIFO));
  S("sched_get_priority_max 77", sched_get_priority_max(77));
  printf("sched_getscheduler OTHER: %d\n", sched_getscheduler(0) == SCHED_OTHER);
  struct sched_param spm = {.sched_priority = 5};
  S("sched_getparam", sched_getparam(0, &spm));
  printf("  priority: %d\n", spm.sched_priority);
  pthread_spinlock_t sl;
  P("spin_init", pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE));
  P("spin_lock", pthread_spin_lock(&sl));
  P("spin_trylock held", pthread_spin_trylock(&sl));
  P("spin_unlock", pthread_spin_unlock(&sl));
  P("spin_trylock free", pthread_spin_trylock(&sl));
  pthread_spin_unlock(&sl);
  struct timespec c;
  S("clock_gettime THREAD_CPUTIME", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c));
}

static volatile int handled_on_thread, handled_sig;
static pthread_t sig_thread;
static void on_usr1(int s) {
  handled_sig = s;
  handled_on_thread = pthread_equal(pthread_self(), sig_thread) ? 1 : 2;
}
static void *sig_self(void *arg) {
  (void)arg;
  sig_thread = pthread_self();
  int r = pthread_kill(pthread_self(), SIGUSR1);
  int before_return = handled_on_thread; /* the handler runs before pthread_kill returns */
  P("pthread_kill self SIGUSR1", r);
  printf("  handler ran on the thread before return: %d sig is SIGUSR1: %d\n", before_return, handled_sig == SIGUSR1);
  handled_on_thread = 0;
  r = raise(SIGUSR1);
  before_return = handled_on_thread;
  S("raise SIGUSR1 in a thread", r);
  printf("  handler ran on the thread before return: %d\n", before_return);
  sigset_t b, p;
  sigemptyset(&b);
  sigaddset(&b, SIGUSR1);
  handled_on_thread = 0;
  P("pthread_sigmask block USR1", pthread_sigmask(SIG_BLOCK, &b, 0));
  P("pthread_kill self blocked", pthread_kill(pthread_self(), SIGUSR1));
  sigemptyset(&p);
  sigpending(&p);
  printf("  pending USR1: %d handled: %d\n", sigismember(&p, SIGUSR1), handled_on_thread);
  r = pthread_sigmask(SIG_UNBLOCK, &b, 0);
  before_return = handled_on_thread;
  P("pthread_sigmask unblock USR1", r);
  printf("  handled before unblock returned: %d\n", before_return);
  return 0;
}
static volatile int main_handled;
static void on_usr2(int s) {
  (void)s;
  main_handled = pthread_equal(pthread_self(), main_thread) ? 1 : 2;
}
static void *kill_main(void *arg) {
  (void)arg;
  return (void *)(intptr_t)pthread_kill(main_thread, SIGUSR2);
}
static void signals(void) {
  signal(SIGUSR2, on_usr2);
  main_thread = pthread_self();
  pthread_t k;
  void *kr;
  pthread_create(&k, 0, kill_main, 0);
  pthread_join(k, &kr);
  for (int i = 0; i < 100 && !main_handled; i++) usleep(1000);
  P("pthread_kill(main, USR2) from a thread", (int)(intptr_t)kr);
  printf("  handler ran on main: %d\n", (int)main_handled);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  pthread_t t;
  pthread_create(&t, 0, sig_self, 0);
  pthread_join(t, 0);
  /* the thread's mask was its own: main's is untouched */
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, 0, &cur);
  printf("main mask has USR1: %d\n", sigismember(&cur, SIGUSR1));
  main_handled = 0;
  int kr2 = kill(getpid(), SIGUSR2);
  int kb = main_handled;
  S("kill(getpid(), USR2) from main", kr2);
  printf("  handler ran before return: %d\n", kb);
  P("pthread_kill sig 0 to self", pthread_kill(pthread_self(), 0));
  P("pthread_kill sig 65", pthread_kill(pthread_self(), 65));
  P("pthread_kill sig 256", pthread_kill(pthread_self(), 256));
  P("pthread_kill sig 999", pthread_kill(pthread_self(), 999));
  P("pthread_sigmask bad how", pthread_sigmask(12345, &cur, 0));
}

static __thread int tls_val = 42;
static int tls_child_initial, errno_child;
static void *tls_thread(void *arg) {
  (void)arg;
  tls_child_initial = tls_val;
  tls_val = 7;
  errno = EDOM;
  errno_child = errno;
  return 0;
}
static void tls(void) {
  tls_val = 5;
  errno = 0;
  pthread_t t;
  pthread_create(&t, 0, tls_thread, 0);
  pthread_join(t, 0);
  printf("tls child initial: %d, main after: %d\n", tls_child_initial, tls_val);
  printf("errno per thread: child %d, main %d\n", errno_child == EDOM, errno);
}


/* ---- cancellation ---- */
static sem_t never_sem;
static volatile int cleanup_ran;
static void cleanup(void *a) { cleanup_ran = (int)(intptr_t)a; }
static void *cancel_in_sem_wait(void *arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, (void *)7);
  sem_wait(&never_sem);
  pthread_cleanup_pop(0);
  return (void *)1;
}
static void *cancel_in_sleep(void *arg) {
  (void)arg;
  for (;;) sleep(1);
  return 0;
}
static volatile int disabled_reached;
static sem_t dis_ready, dis_go;
static void *cancel_disabled(void *arg) {
  (void)arg;
  int old = -1;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  sem_post(&dis_ready);
  sem_wait(&dis_go); /* not a cancellation while disabled */
  disabled_reached = 1;
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel();
  return (void *)2;
}
static pthread_mutex_t ccm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;
static volatile int cond_cleanup_held;
static void unlock_ccm(void *a) {
  (void)a;
  /* The mutex is held again when a cancelled condition wait runs its cleanup. */
  cond_cleanup_held = pthread_mutex_trylock(&ccm) == EBUSY;
  pthread_mutex_unlock(&ccm);
}
static void *cancel_in_cond_wait(void *arg) {
  (void)arg;
  pthread_mutex_lock(&ccm);
  pthread_cleanup_push(unlock_ccm, 0);
  for (;;) pthread_cond_wait(&ccv, &ccm);
  pthread_cleanup_pop(1);
  return 0;
}
static void cancels(void) {
  sem_init(&never_sem, 0, 0);
  pthread_t t;
  void *r = 0;
  pthread_create(&t, 0, cancel_in_sem_wait, 0);
  usleep(20000);
  P("cancel thread in sem_wait", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d cleanup ran: %d\n", r == PTHREAD_CANCELED, cleanup_ran);
  pthread_create(&t, 0, cancel_in_sleep, 0);
  usleep(20000);
  P("cancel thread in sleep", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d\n", r == PTHREAD_CANCELED);
  sem_init(&dis_ready, 0, 0);
  sem_init(&dis_go, 0, 0);
  pthread_create(&t, 0, cancel_disabled, 0);
  sem_wait(&dis_ready);
  P("cancel thread with cancel disabled", pthread_cancel(t));
  sem_post(&dis_go);
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d reached: %d\n", r == PTHREAD_CANCELED, disabled_reached);
  pthread_create(&t, 0, cancel_in_cond_wait, 0);
  usleep(20000);
  P("cancel thread in cond_wait", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d cleanup held the mutex: %d\n", r == PTHREAD_CANCELED, cond_cleanup_held);
  P("  mutex free after", pthread_mutex_trylock(&ccm));
  pthread_mutex_unlock(&ccm);
  int old = -1;
  P("setcancelstate 5", pthread_setcancelstate(5, &old));
  P("setcanceltype ASYNC", pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
  printf("  old type DEFERRED: %d\n", old == PTHREAD_CANCEL_DEFERRED);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
}

/* ---- a handler interrupting a sleeping thread ---- */
static volatile int usr1_count;
static void count_usr1(int s) { (void)s; usr1_count++; }
static volatile int sleeper_ready, sleeper_done;
static void *sleeper(void *arg) {
  (void)arg;
  struct timespec ts = {5, 0}, rem = {0, 0};
  sleeper_ready = 1;
  int r = nanosleep(&ts, &rem);
  int e = errno;
  sleeper_done = 1;
  printf("nanosleep interrupted in a thread: %d %s rem in (0,5s]: %d\n", r, r ? en(e) : "0", rem.tv_sec < 5 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
  return 0;
}
static void interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count_usr1;
  sigaction(SIGUSR1, &sa, 0);
  pthread_t t;
  pthread_create(&t, 0, sleeper, 0);
  while (!sleeper_ready) usleep(1000);
  /* Again until it is out: one sent before it entered nanosleep would not interrupt it. */
  int kr = 0;
  while (!sleeper_done && kr == 0) {
    usleep(20000);
    if (!sleeper_done) kr = pthread_kill(t, SIGUSR1);
  }
  pthread_join(t, 0);
  P("pthread_kill sleeping thread", kr);
  printf("  handler ran: %d\n", usr1_count >= 1);
}

/* ---- more attributes ---- */

/* ---- per-thread CPU clocks (pthread_getcpuclockid) ---- */
static volatile int clk_stop;
static volatile unsigned clk_sink;
static void *clk_spin(void *a) {
  (void)a;
  unsigned x = 1;
  while (!clk_stop) {
    for (int i = 0; i < 100000; i++) x = x * 1103515245u + 12345u;
    clk_sink = x;
  }
  return 0;
}
static volatile int clk_naps;
static void *clk_idle(void *a) {
  (void)a;
  struct timespec ts = {0, 20000000};
  while (!clk_stop) {
    nanosleep(&ts, 0);
    clk_naps++;
  }
  return 0;
}
static long long clk_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts)) return -errno;
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void cpuclocks(void) {
  clockid_t self, cs, ci;
  int r = pthread_getcpuclockid(pthread_self(), &self);
  printf("getcpuclockid self: %d, negative %d, readable %d\n", r, self < 0, clk_ns(self) >= 0);
  struct timespec res;
  printf("clock_getres of it: %d\n", clock_getres(self, &res));
  pthread_t s, i;
  pthread_create(&s, 0, clk_spin, 0);
  pthread_create(&i, 0, clk_idle, 0);
  pthread_getcpuclockid(s, &cs);
  pthread_getcpuclockid(i, &ci);
  /* Over 100 ms of the spinner's computing once both run (the sleeper has napped twice and the
     spinner computed 100 ms; however loaded the machine, at most 20 s), the sleeper computes
     under half of that: occlum-ts counts a thread's time on its vCPU by the wall clock, which a
     loaded host stretches (with two busy processes beside it, a tenth failed 1 run in 4). */
  struct timespec ts = {0, 10000000};
  long long a0 = 0, a = 0;
  for (int k = 0; k < 1000 && ((a0 = clk_ns(cs)) < 100000000 || clk_naps < 2); k++) nanosleep(&ts, 0);
  long long b0 = clk_ns(ci);
  for (int k = 0; k < 1000 && (a = clk_ns(cs)) < a0 + 100000000; k++) nanosleep(&ts, 0);
  long long b = clk_ns(ci);
  printf("spinner's CPU time grew 100 ms: %d, the sleeper's under half of that: %d\n", a - a0 >= 100000000,
         b0 >= 0 && b - b0 < (a - a0) / 2);
  printf("spinner's clock advances: %d\n", clk_ns(cs) >= a);
  clk_stop = 1;
  pthread_join(s, 0);
  pthread_join(i, 0);
}

int main(void) {
  keys();
  joins();
  stacks();
  sems();
  misc();
  signals();
  tls();
  cancels();
  interrupts();
  cpuclocks();
  return 0;
}

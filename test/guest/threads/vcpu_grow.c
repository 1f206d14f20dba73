/*
 * memory.grow from threads on different vCPUs: the kernel grows the shared memory, every agent
 * (both vCPU workers and the kernel thread) then uses the new pages.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void *grow(void *arg) {
  (void)arg;
  size_t total = 0;
  for (int i = 0; i < 16; i++) {
    char *p = malloc(4 << 20);
    if (!p) break;
    memset(p, i, 4 << 20);
    total += 4 << 20;
  }
  printf("grew %zu MiB\n", total >> 20);
  return NULL;
}
int main(void) {
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, grow, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  char *q = malloc(8 << 20); memset(q, 1, 8 << 20);
  printf("main ok\n");
  return 0;
}

/* Trivial POSIX guest: printf + getpid/getppid. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("hello from pid %d ppid %d\n", (int)getpid(), (int)getppid());
  return 7;
}

// Interactive stdin on a terminal: reports whether stdin/stdout are terminals (isatty: WASI
// fdstat says character device), then echoes each line it reads until EOF (Ctrl-D).
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char line[256];
  int lines = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("tty stdin=%d stdout=%d\n", isatty(0), isatty(1));
  printf("prompt> ");
  while (fgets(line, sizeof line, stdin)) {
    lines++;
    printf("got[%s]\nprompt> ", line);
  }
  printf("\neof after %d lines\n", lines);
  return 0;
}

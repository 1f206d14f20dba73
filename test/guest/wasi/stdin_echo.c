// Reads stdin line by line until EOF and echoes each line with a prefix (argv[1]); blocking reads.
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *tag = argc > 1 ? argv[1] : "echo";
  char line[256];
  int lines = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("%s: ready\n", tag);
  while (fgets(line, sizeof line, stdin)) {
    lines++;
    printf("%s: %s", tag, line);
  }
  printf("%s: eof after %d lines\n", tag, lines);
  return 0;
}

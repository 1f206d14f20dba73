/* true: the trivial program spawn is measured with. */
int main(void) { return 0; }

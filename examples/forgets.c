/* A parent sends a line to its child through a pipe; the child reads until end of file.
   The child never closes its copy of the write end (inherited across fork): end of file
   never comes, and the parent waits for the child forever.
   cc -o forgets examples/forgets.c
   iochannels trace --timeout 2 -- ./forgets */
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        /* close(p[1]);   <- the line it forgot */
        char buf[64];
        while (read(p[0], buf, sizeof buf) > 0) {}
        _exit(0);
    }
    close(p[0]);
    write(p[1], "data\n", 5);
    close(p[1]);
    waitpid(child, 0, 0);
    return 0;
}

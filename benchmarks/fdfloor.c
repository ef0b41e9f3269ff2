/* fdfloor: the kernel's share of reading one process's fd table, and nothing more.
 *
 * Usage: fdfloor PID [links]
 *
 * Lists /proc/PID/fd and, for every fd, opens, reads and closes /proc/PID/fdinfo/N:
 * the one place where Linux gives an fd's flags (O_NONBLOCK, O_APPEND, close-on-exec)
 * and its offset (proc(5) "/proc/pid/fdinfo"). With "links", it also reads each fd's
 * link (readlink(2) of /proc/PID/fd/N: what the fd points to). No parsing, no output
 * but a count: any tool that reports flags and offsets per fd, in any language, makes
 * at least these calls, so their time is a floor for `iochannels fds PID` and for
 * `lsof -p PID` alike (lsof also makes them, and three stat calls per fd besides).
 *
 * bench_fds.py compiles and runs it next to the real commands when a C compiler is
 * installed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "links") != 0)) {
        fprintf(stderr, "usage: fdfloor PID [links]\n");
        return 2;
    }
    int links = argc == 3;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%s/fd", argv[1]);
    int fd_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%s/fdinfo", argv[1]);
    int info_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd_dir < 0 ? NULL : fdopendir(dup(fd_dir));
    if (dir == NULL || info_dir < 0) {
        perror("fdfloor: /proc/PID/fd");
        return 1;
    }
    long count = 0, bytes = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        int info = openat(info_dir, entry->d_name, O_RDONLY | O_CLOEXEC);
        if (info < 0)
            continue; /* closed while we looked */
        ssize_t got = read(info, buf, sizeof buf);
        close(info);
        if (got > 0)
            bytes += got;
        if (links) {
            got = readlinkat(fd_dir, entry->d_name, buf, sizeof buf);
            if (got > 0)
                bytes += got;
        }
        count++;
    }
    printf("%ld fds, %ld bytes read\n", count, bytes);
    return 0;
}

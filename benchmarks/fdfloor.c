/* fdfloor: the kernel's share of reading one process's fd table, and nothing more.
 *
 * Usage: fdfloor PID|all [links]
 *
 * Lists /proc/PID/fd and, for every fd, opens, reads and closes /proc/PID/fdinfo/N:
 * the one place where Linux gives an fd's flags (O_NONBLOCK, O_APPEND, close-on-exec)
 * and its offset (proc(5) "/proc/pid/fdinfo"). With "links", it also reads each fd's
 * link (readlink(2) of /proc/PID/fd/N: what the fd points to). No parsing, no output
 * but a count: any tool that reports flags and offsets per fd, in any language, makes
 * at least these calls, so their time is a floor for `iochannels fds PID` and for
 * `lsof -p PID` alike (lsof also makes them, and three stat calls per fd besides).
 *
 * With "all" instead of a PID, the same for every process in /proc (those that cannot be
 * read are passed over), as `fds --all` reads them.
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

static long bytes;

/* The fdinfo (and with links, the link) of every fd of one process; -1 if unreadable. */
static long one(const char *pid, int links)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%s/fd", pid);
    int fd_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%s/fdinfo", pid);
    int info_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd_dir < 0 ? NULL : fdopendir(dup(fd_dir));
    if (dir == NULL || info_dir < 0) {
        if (fd_dir >= 0)
            close(fd_dir);
        if (info_dir >= 0)
            close(info_dir);
        return -1;
    }
    long count = 0;
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
    closedir(dir);
    close(fd_dir);
    close(info_dir);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "links") != 0)) {
        fprintf(stderr, "usage: fdfloor PID|all [links]\n");
        return 2;
    }
    int links = argc == 3;
    long count = 0;
    if (strcmp(argv[1], "all") == 0) {
        DIR *proc = opendir("/proc");
        if (proc == NULL) {
            perror("fdfloor: /proc");
            return 1;
        }
        for (struct dirent *entry; (entry = readdir(proc)) != NULL;) {
            if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
                continue;
            long got = one(entry->d_name, links);
            if (got > 0)
                count += got;
        }
        closedir(proc);
    } else if ((count = one(argv[1], links)) < 0) {
        perror("fdfloor: /proc/PID/fd");
        return 1;
    }
    printf("%ld fds, %ld bytes read\n", count, bytes);
    return 0;
}

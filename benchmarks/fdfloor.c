/* fdfloor: the kernel's share of reading one process's fd table, and nothing more.
 *
 * Usage: fdfloor PID|all [links] [THREADS]
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
 * THREADS (1 by default) shares the same calls out among that many threads, as the C
 * part of the scan does (src/iochannels/live/_scan.c): the fds of the one process, listed
 * first, are taken 16 at a time by whichever thread is free; with "all", the processes,
 * one at a time. The floor for 1 and for N threads shows what threads can win at most:
 * the calls are made on the caller's CPU, in the kernel, for its own thread.
 *
 * bench_fds.py compiles and runs it next to the real commands when a C compiler is
 * installed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64

static int links;
static char **names;  /* what the threads share out: fd numbers, or pids with "all" */
static long count;
static int fd_dir = -1, info_dir = -1; /* of the one process (not with "all") */
static long next;      /* the first name no thread has taken (an atomic add takes some) */
static long block = 1; /* names taken at a time */

struct tally {
    long fds, bytes;
    pthread_t thread;
};

/* The fdinfo (and with links, the link) of one fd. */
static void one_fd(int fds, int infos, const char *name, struct tally *t)
{
    char buf[4096];
    int info = openat(infos, name, O_RDONLY | O_CLOEXEC);
    if (info < 0)
        return; /* closed while we looked */
    ssize_t got = read(info, buf, sizeof buf);
    close(info);
    if (got > 0)
        t->bytes += got;
    if (links) {
        got = readlinkat(fds, name, buf, sizeof buf);
        if (got > 0)
            t->bytes += got;
    }
    t->fds++;
}

/* The names of a directory but "." and ".."; NULL if it cannot be read. */
static char **list(int dir_fd, long *n)
{
    DIR *dir = fdopendir(dup(dir_fd));
    if (dir == NULL)
        return NULL;
    long cap = 64;
    char **out = malloc(cap * sizeof *out);
    *n = 0;
    for (struct dirent *entry; out != NULL && (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        if (*n == cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        if (out != NULL)
            out[(*n)++] = strdup(entry->d_name);
    }
    closedir(dir);
    return out;
}

/* Every fd of one process (with "all"): the calls of the single-threaded floor. */
static void one_process(const char *pid, struct tally *t)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/fd", pid);
    int fds = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%s/fdinfo", pid);
    int infos = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long n = 0;
    char **fd_names = fds < 0 || infos < 0 ? NULL : list(fds, &n);
    for (long i = 0; fd_names != NULL && i < n; i++) {
        one_fd(fds, infos, fd_names[i], t);
        free(fd_names[i]);
    }
    free(fd_names);
    if (fds >= 0)
        close(fds);
    if (infos >= 0)
        close(infos);
}

static void *work(void *arg)
{
    struct tally *t = arg;
    for (long first; (first = __atomic_fetch_add(&next, block, __ATOMIC_RELAXED)) < count;)
        for (long i = first; i < first + block && i < count; i++) {
            if (fd_dir >= 0)
                one_fd(fd_dir, info_dir, names[i], t);
            else if (names[i][0] >= '1' && names[i][0] <= '9')
                one_process(names[i], t);
        }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 1;
    links = argc >= 3 && strcmp(argv[2], "links") == 0;
    if (argc == 3 + links)
        threads = atoi(argv[2 + links]);
    if (argc < 2 || argc > 3 + links || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: fdfloor PID|all [links] [THREADS]\n");
        return 2;
    }
    int single = strcmp(argv[1], "all") != 0;
    const char *dir = "/proc";
    char path[64];
    if (single) {
        snprintf(path, sizeof path, "/proc/%s/fdinfo", argv[1]);
        info_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%s/fd", argv[1]);
        dir = path;
        block = 16;
    }
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || (single && info_dir < 0) || (names = list(dir_fd, &count)) == NULL) {
        perror(single ? "fdfloor: /proc/PID/fd" : "fdfloor: /proc");
        return 1;
    }
    if (single)
        fd_dir = dir_fd;
    struct tally tallies[MAX_THREADS] = {{0}};
    for (int i = 1; i < threads; i++)
        pthread_create(&tallies[i].thread, NULL, work, &tallies[i]);
    work(&tallies[0]);
    long fds = tallies[0].fds, bytes = tallies[0].bytes;
    for (int i = 1; i < threads; i++) {
        pthread_join(tallies[i].thread, NULL);
        fds += tallies[i].fds;
        bytes += tallies[i].bytes;
    }
    printf("%ld fds, %ld bytes read\n", fds, bytes);
    return 0;
}

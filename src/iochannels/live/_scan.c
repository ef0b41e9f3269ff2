/* iochannels.live._scan: the per-fd and per-process system calls of a scan, in C.
 *
 * Optional (built by setup.py when a compiler is there; IOCHANNELS_PURE=1 ignores it):
 * procfs.py makes the same calls in Python when it is absent. It does only the calls and
 * the little parsing they need, and returns plain tuples; what they mean (kinds,
 * channels, pairs) is decided in Python, once, for both paths.
 *
 *   fd_table(fd_dir, info_dir, skip_own, workers=0) -> [(fd, link, fdinfo bytes or None), ...]
 *       Lists fd_dir (/proc/PID/fd), reads each fd's link (readlink(2)) and, when
 *       info_dir (/proc/PID/fdinfo) is given, its fdinfo text in one read(2), as
 *       procfs.read_fds does; sorted by fd. An fd closed while it is read (ENOENT) is
 *       skipped (proc(5): the table changes under us); any other error raises OSError.
 *       skip_own: the table is our own, so leave out the directory fds of this read.
 *   links_scan(root, pids, wanted, workers=0) -> ([(pid, fd, link), ...], [denied pid, ...])
 *       The search for other ends (holders.py): the links of every fd of every pid,
 *       keeping those whose text is in the set ``wanted``. A process gone is skipped;
 *       one whose fds may not be read (EACCES, EPERM) is listed as denied.
 *   ppids(root, workers=0) -> {pid: ppid}
 *       Every process of root (/proc) and its parent, from /proc/PID/stat (field 4).
 *   ahead(root, pids, workers=0) -> an iterator of (pid, info errno, stat, cmdline, rows)
 *       Each process as procfs reads it, stat and cmdline (read_procinfo), then the fd
 *       table (fd_table's rows, or the errno that stopped its read): info errno is 0, or
 *       that of the stat or cmdline read, and the rest None. Threads read the processes
 *       ahead while the caller makes its Python objects of the ones before (ahead.py);
 *       given in the pids' order. Our own table is read first, before a thread starts.
 *       close() stops the reads and joins the threads (as does dropping the iterator).
 *   threads_started() -> int
 *       How many threads the calls above have started so far (tests watch it).
 *
 * Threads. The calls are on /proc, where the kernel does the work on the caller's CPU,
 * so a second CPU can do half of them: on the 2-core VM, fd_table of 10,000 fds takes
 * ~47 ms on two threads where one takes ~84, and the links of 375 processes 27 ms
 * instead of 52. So the per-fd calls (of fd_table) and the per-process ones (of
 * links_scan, ppids) are shared out, with the GIL released, among `workers` threads:
 * the calling one and up to MAX_WORKERS - 1 it starts. Workers = 0 chooses: the online
 * CPUs (sysconf(3)), at most MAX_WORKERS, and the calling thread alone below a number of
 * items (FD_THREADS_FROM fds, PID_THREADS_FROM or STAT_THREADS_FROM processes) where
 * starting a thread costs more than it saves. Each worker takes the
 * next block of items in turn and writes what it read into a buffer of its own; then,
 * the threads joined and the GIL held again, the Python objects are made in the items'
 * order, so that the result, and the first error raised, are those of one thread.
 * ahead is the exception: its threads (the workers but the calling one, which returns to
 * Python at once) read while the caller goes on, and the caller makes each process's
 * objects when it asks for it; one waiting for a process not read yet reads the next
 * untaken ones itself rather than idle. Each process's reads go to a buffer of its own,
 * so no buffer moves while the caller reads another.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INFO_MAX 65536 /* as procfs.read_fds: one read(2) of up to 64 KiB */
#define MAX_WORKERS 4
/* Measured on the 2-core VM: starting and joining a thread costs 25 to 60 us. On a quiet
 * machine a second worker wins it back from ~32 fds (fd_table 289 -> 250 us; 256 fds:
 * 1.8 -> 1.1 ms), ~8 processes for the links (617 -> 392 us) and ~30 for the parents
 * (~8 us each). On a loaded one (3 runnable on 2 cores) the second worker waits for a CPU
 * and the call is up to ~100 us slower below a few hundred fds: the thresholds are set
 * where the loss is small there and the gain large when quiet. */
#define FD_THREADS_FROM 256
#define PID_THREADS_FROM 16
#define STAT_THREADS_FROM 64
/* ahead: the threads read while Python makes the channels, so they save about the read's
 * time (~0.25 ms a process of ~40 fds) from a few processes on; snapshot(N processes of the
 * busy machine, others=False), medians of 25: 2 and 4 processes within noise (+0.7, +0.6
 * ms), 8: 71.1 -> 68.9, 16: 78.9 -> 76.0, 32: 92.2 -> 85.0, 64: 120.0 -> 104.9 ms. */
#define AHEAD_FROM 8

static int gone(int err) { return err == ENOENT || err == ESRCH; }
static int denied(int err) { return err == EACCES || err == EPERM; }

static int by_number(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The numbers (of fds or pids) named in the directory open at dir_fd (consumed),
 * ascending; ``first`` is the lowest first digit taken (/proc/0 is no process). */
static long *list_numbers(int dir_fd, char first, size_t *count)
{
    DIR *dir = fdopendir(dir_fd);
    if (dir == NULL) {
        close(dir_fd);
        return NULL;
    }
    size_t cap = 64, n = 0;
    long *out = malloc(cap * sizeof *out);
    if (out == NULL) {
        closedir(dir);
        errno = ENOMEM;
        return NULL;
    }
    errno = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL; errno = 0) {
        char *end;
        if (entry->d_name[0] < first || entry->d_name[0] > '9')
            continue;
        long value = strtol(entry->d_name, &end, 10);
        if (*end != '\0')
            continue;
        if (n == cap) {
            long *grown = realloc(out, (cap *= 2) * sizeof *out);
            if (grown == NULL) {
                free(out);
                closedir(dir);
                errno = ENOMEM;
                return NULL;
            }
            out = grown;
        }
        out[n++] = value;
    }
    int err = errno;
    closedir(dir);
    if (err != 0) {
        free(out);
        errno = err;
        return NULL;
    }
    qsort(out, n, sizeof *out, by_number);
    *count = n;
    return out;
}

/* The number after "\n<key>" in fdinfo text (e.g. "\nmnt_id:\t24"), or -1 if absent. */
static long field(const char *text, ssize_t len, const char *key)
{
    size_t klen = strlen(key);
    for (const char *at = text; (at = memchr(at, '\n', text + len - at)) != NULL; at++) {
        if ((size_t)(text + len - at - 1) > klen && memcmp(at + 1, key, klen) == 0) {
            char *end;
            long value = strtol(at + 1 + klen, &end, 10);
            return end == at + 1 + klen ? -1 : value;
        }
    }
    return -1;
}

static PyObject *raise_errno(int err, const char *path)
{
    errno = err;
    return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
}

/* ---- Workers ------------------------------------------------------------------------ */

/* A worker's growing buffer of what it read (fdinfo text, links), read back by offset. */
struct arena {
    char *buf;
    size_t len, cap;
};

/* Room for ``need`` more bytes at buf + len (len is not moved), or NULL for ENOMEM. */
static char *room(struct arena *a, size_t need)
{
    if (a->cap - a->len < need) {
        /* 80 KiB at first: below glibc's mmap threshold (128 KiB, mallopt(3)), so that
         * the many small tables of `fds --all` reuse the heap instead of an mmap each. */
        size_t cap = a->cap ? a->cap : INFO_MAX + 4 * PATH_MAX;
        while (cap - a->len < need)
            cap *= 2;
        char *grown = realloc(a->buf, cap);
        if (grown == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        a->buf = grown;
        a->cap = cap;
    }
    return a->buf + a->len;
}

struct worker;

/* One call's work: items 0..count-1, taken ``block`` at a time by whichever worker is free
 * (a worker slowed by readlinks or by the machine's load does fewer blocks). */
struct crew {
    void (*work)(struct worker *self, size_t item);
    void *job;
    size_t count, block;
    size_t next; /* the first item no worker has taken: an atomic add takes a block */
};

struct worker {
    struct crew *crew;
    int index;
    struct arena text;
    long pipe_mnt, socket_mnt; /* fd_table: the mount ids this worker has learned */
    pthread_t thread;
};

static unsigned long threads_total; /* started so far; changed only with the GIL held */

static int workers_for(int asked, size_t count, size_t from)
{
    if (asked > 0)
        return asked;
    if (count < from)
        return 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
}

static void *work_loop(void *arg)
{
    struct worker *self = arg;
    struct crew *crew = self->crew;
    size_t first;
    while ((first = __atomic_fetch_add(&crew->next, crew->block, __ATOMIC_RELAXED)) <
           crew->count) {
        size_t last = first + crew->block < crew->count ? first + crew->block : crew->count;
        for (size_t item = first; item < last; item++)
            crew->work(self, item);
    }
    return NULL;
}

/* Starts hands[1..n-1] on the crew (hands[0] is this thread); returns the threads started.
 * A thread that cannot be started leaves more blocks to the others: the result is the same. */
static int start(struct crew *crew, struct worker *hands, int n)
{
    for (int i = 0; i < n; i++) {
        hands[i].crew = crew;
        hands[i].index = i;
        hands[i].pipe_mnt = hands[i].socket_mnt = -1;
    }
    /* The threads start with every signal blocked, so that a signal (Ctrl-C) goes to the
     * calling thread, where Python looks for it (pthread_sigmask(3): a thread inherits
     * the mask of the thread that creates it). */
    sigset_t all, old;
    sigfillset(&all);
    if (n > 1)
        pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 1;
    while (started < n && pthread_create(&hands[started].thread, NULL, work_loop,
                                         &hands[started]) == 0)
        started++;
    if (n > 1)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started - 1;
}

static void join(struct worker *hands, int started)
{
    for (int i = 1; i <= started; i++)
        pthread_join(hands[i].thread, NULL);
}

/* Runs the crew on ``n`` workers, this thread one of them; returns the threads started.
 * Called without the GIL. */
static int run(struct crew *crew, struct worker *hands, int n)
{
    int started = start(crew, hands, n);
    work_loop(&hands[0]);
    join(hands, started);
    return started;
}

static void free_hands(struct worker *hands)
{
    for (int i = 0; i < MAX_WORKERS; i++)
        free(hands[i].text.buf);
}

static int parse_workers(int workers)
{
    if (workers >= 0 && workers <= MAX_WORKERS)
        return 0;
    PyErr_Format(PyExc_ValueError, "workers must be 0 (chosen) to %d", MAX_WORKERS);
    return -1;
}

/* ---- fd_table ----------------------------------------------------------------------- */

struct fd_job {
    int fd_dir, info_dir;
    const long *fds;
    struct fd_row {
        int err;     /* 0, or the errno of the call that failed */
        int worker;  /* whose arena holds the text */
        size_t at;   /* there: the fdinfo text, then the link */
        ssize_t info_len, link_len;
    } *rows;
};

/* As procfs.Links: pipes and sockets live on the kernel's pipefs and sockfs mounts and
 * their link is "pipe:[INODE]" / "socket:[INODE]". Once one link has shown which mount
 * id (fdinfo "mnt_id:", Linux 5.14+ with "ino:") is which, the others are named from
 * their fdinfo alone, without a readlink(2) each. Each worker learns for itself. */
static void learn(struct worker *self, char *link, ssize_t len, long mnt, long ino)
{
    long named;
    char end;
    link[len] = '\0';
    if (sscanf(link, "pipe:[%ld%c", &named, &end) == 2 && end == ']' && named == ino)
        self->pipe_mnt = mnt;
    else if (sscanf(link, "socket:[%ld%c", &named, &end) == 2 && end == ']' && named == ino)
        self->socket_mnt = mnt;
}

static void read_fd(struct worker *self, size_t item)
{
    struct fd_job *job = self->crew->job;
    struct fd_row *row = &job->rows[item];
    char name[32];
    snprintf(name, sizeof name, "%ld", job->fds[item]);
    *row = (struct fd_row){.worker = self->index, .at = self->text.len, .info_len = -1};
    long mnt = -1, ino = -1;
    if (job->info_dir >= 0) {
        char *info = room(&self->text, INFO_MAX);
        int handle = info == NULL ? -1 : openat(job->info_dir, name, O_RDONLY | O_CLOEXEC);
        ssize_t got = handle < 0 ? -1 : read(handle, info, INFO_MAX);
        row->err = errno;
        if (handle >= 0)
            close(handle);
        if (got < 0)
            return;
        row->err = 0;
        row->info_len = got;
        self->text.len += got;
        mnt = field(info, got, "mnt_id:");
        ino = mnt < 0 ? -1 : field(info, got, "ino:");
    }
    char *link = room(&self->text, PATH_MAX + 1);
    if (link == NULL) {
        row->err = ENOMEM;
        return;
    }
    ssize_t len = -1;
    if (ino >= 0 && (mnt == self->pipe_mnt || mnt == self->socket_mnt))
        len = snprintf(link, PATH_MAX + 1, "%s:[%ld]", mnt == self->pipe_mnt ? "pipe" : "socket",
                       ino);
    else if ((len = readlinkat(job->fd_dir, name, link, PATH_MAX)) >= 0 && ino >= 0)
        learn(self, link, len, mnt, ino);
    if (len < 0) {
        row->err = errno;
        return;
    }
    row->link_len = len;
    self->text.len += len;
}

/* The rows as Python tuples, in fd order; an fd closed while it was read is left out. */
static PyObject *fd_rows(const struct fd_job *job, size_t n, const struct worker *hands)
{
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out != NULL && i < n; i++) {
        const struct fd_row *row = &job->rows[i];
        if (row->err != 0) {
            if (gone(row->err))
                continue; /* closed while we looked: skipped, as psutil does */
            char name[32];
            snprintf(name, sizeof name, "%ld", job->fds[i]);
            Py_CLEAR(out);
            return raise_errno(row->err, name);
        }
        const char *text = hands[row->worker].text.buf + row->at;
        ssize_t info_len = row->info_len < 0 ? 0 : row->info_len;
        PyObject *info = row->info_len < 0 ? Py_NewRef(Py_None)
                                           : PyBytes_FromStringAndSize(text, info_len);
        /* As os.readlink: the file system encoding, undecodable bytes kept (PEP 383). */
        PyObject *link = PyUnicode_DecodeFSDefaultAndSize(text + info_len, row->link_len);
        PyObject *item = info && link ? Py_BuildValue("(lOO)", job->fds[i], link, info) : NULL;
        Py_XDECREF(info);
        Py_XDECREF(link);
        if (item == NULL || PyList_Append(out, item) < 0)
            Py_CLEAR(out);
        Py_XDECREF(item);
    }
    return out;
}

/* Opens fd_path (and info_path, if not NULL) into ``job`` and lists the fds into *fds
 * (ascending; with skip_own, without the directory fds of this read), with a row each;
 * 0, or the errno, *failed then naming the path. close_table() undoes it in any case. */
static int open_table(struct fd_job *job, const char *fd_path, const char *info_path,
                      int skip_own, long **fds, size_t *n, const char **failed)
{
    *failed = fd_path;
    if ((job->fd_dir = open(fd_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return errno;
    if (info_path != NULL &&
        (job->info_dir = open(info_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        *failed = info_path;
        return errno;
    }
    int list_fd = dup(job->fd_dir);
    if (list_fd < 0 || (*fds = list_numbers(list_fd, '0', n)) == NULL)
        return errno;
    if (skip_own) { /* the directory fds of this read are not the table's */
        size_t kept = 0;
        for (size_t i = 0; i < *n; i++)
            if ((*fds)[i] != job->fd_dir && (*fds)[i] != job->info_dir && (*fds)[i] != list_fd)
                (*fds)[kept++] = (*fds)[i];
        *n = kept;
    }
    if ((job->rows = malloc((*n ? *n : 1) * sizeof *job->rows)) == NULL)
        return ENOMEM;
    job->fds = *fds;
    return 0;
}

static void close_table(struct fd_job *job)
{
    if (job->fd_dir >= 0)
        close(job->fd_dir);
    if (job->info_dir >= 0)
        close(job->info_dir);
    job->fd_dir = job->info_dir = -1;
}

static PyObject *fd_table(PyObject *self, PyObject *args)
{
    const char *fd_path, *info_path, *failed = NULL;
    int skip_own, workers = 0;
    if (!PyArg_ParseTuple(args, "szp|i", &fd_path, &info_path, &skip_own, &workers) ||
        parse_workers(workers) < 0)
        return NULL;
    struct fd_job job = {.fd_dir = -1, .info_dir = -1};
    struct worker hands[MAX_WORKERS] = {0};
    long *fds = NULL;
    size_t n = 0;
    int err, started = 0;
    Py_BEGIN_ALLOW_THREADS
    err = open_table(&job, fd_path, info_path, skip_own, &fds, &n, &failed);
    if (!err) {
        struct crew crew = {.work = read_fd, .job = &job, .count = n, .block = 16};
        started = run(&crew, hands, workers_for(workers, n, FD_THREADS_FROM));
    }
    Py_END_ALLOW_THREADS
    threads_total += started;
    PyObject *out = err ? raise_errno(err, failed) : fd_rows(&job, n, hands);
    free_hands(hands);
    free(job.rows);
    free(fds);
    close_table(&job);
    return out;
}

/* ---- links_scan --------------------------------------------------------------------- */

struct links_job {
    const char *root;
    const long *pids;
    long me;
    struct pid_row {
        int err;     /* 0, or the errno that stopped the read of this pid */
        long bad_fd; /* the fd whose readlink failed; -1: the directory itself */
        int worker;  /* whose arena holds its links: count times (struct entry, text) */
        size_t at, count;
    } *rows;
};

struct entry {
    long fd;
    size_t len;
};

/* The links of every fd of one pid into this worker's arena. */
static void scan_pid(struct worker *self, size_t item)
{
    struct links_job *job = self->crew->job;
    struct pid_row *row = &job->rows[item];
    long pid = job->pids[item];
    *row = (struct pid_row){.bad_fd = -1, .worker = self->index, .at = self->text.len};
    char path[PATH_MAX], name[32];
    snprintf(path, sizeof path, "%s/%ld/fd", job->root, pid);
    int fd_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int list_fd = fd_dir < 0 ? -1 : dup(fd_dir);
    size_t n = 0;
    long *fds = list_fd < 0 ? NULL : list_numbers(list_fd, '0', &n);
    if (fds == NULL) {
        row->err = errno;
        if (fd_dir >= 0)
            close(fd_dir);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (pid == job->me && (fds[i] == fd_dir || fds[i] == list_fd))
            continue;
        char *at = room(&self->text, sizeof(struct entry) + PATH_MAX);
        if (at == NULL) {
            row->err = ENOMEM;
            break;
        }
        snprintf(name, sizeof name, "%ld", fds[i]);
        ssize_t len = readlinkat(fd_dir, name, at + sizeof(struct entry), PATH_MAX);
        if (len < 0 && gone(errno))
            continue;
        if (len < 0) {
            row->err = errno;
            row->bad_fd = fds[i];
            break;
        }
        struct entry head = {fds[i], (size_t)len};
        memcpy(at, &head, sizeof head); /* the arena is bytes: no alignment promised */
        self->text.len += sizeof head + len;
        row->count++;
    }
    free(fds);
    close(fd_dir);
}

/* Every pid but ours: see links_scan. */
static void scan_other(struct worker *self, size_t item)
{
    struct links_job *job = self->crew->job;
    if (job->pids[item] != job->me)
        scan_pid(self, item);
}

/* One pid's wanted links appended to hits, or its pid to denied_pids; -1 on error. */
static int pid_hits(const struct links_job *job, size_t item, const struct worker *hands,
                    PyObject *wanted, PyObject *hits, PyObject *denied_pids)
{
    const struct pid_row *row = &job->rows[item];
    long pid = job->pids[item];
    if (row->err != 0 && gone(row->err))
        return 0;
    if (row->err != 0 && denied(row->err)) { /* as procfs.read_fds: one fd denied, all unread */
        PyObject *number = PyLong_FromLong(pid);
        int status = number == NULL ? -1 : PyList_Append(denied_pids, number);
        Py_XDECREF(number);
        return status;
    }
    if (row->err != 0) {
        char path[PATH_MAX];
        if (row->bad_fd < 0)
            snprintf(path, sizeof path, "%s/%ld/fd", job->root, pid);
        else
            snprintf(path, sizeof path, "%ld", row->bad_fd);
        raise_errno(row->err, path);
        return -1;
    }
    const char *at = hands[row->worker].text.buf + row->at;
    for (size_t i = 0; i < row->count; i++) {
        struct entry head;
        memcpy(&head, at, sizeof head);
        PyObject *text = PyUnicode_DecodeFSDefaultAndSize(at + sizeof head, head.len);
        at += sizeof head + head.len;
        int hit = text == NULL ? -1 : PySet_Contains(wanted, text);
        if (hit > 0) {
            PyObject *found = Py_BuildValue("(llO)", pid, head.fd, text);
            hit = found == NULL ? -1 : PyList_Append(hits, found);
            Py_XDECREF(found);
        }
        Py_XDECREF(text);
        if (hit < 0)
            return -1;
    }
    return 0;
}

static PyObject *links_scan(PyObject *self, PyObject *args)
{
    const char *root;
    PyObject *pid_list, *wanted;
    int workers = 0;
    if (!PyArg_ParseTuple(args, "sOO!|i", &root, &pid_list, &PySet_Type, &wanted, &workers) ||
        parse_workers(workers) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(pid_list, "pids must be a sequence");
    if (seq == NULL)
        return NULL;
    size_t n = (size_t)PySequence_Fast_GET_SIZE(seq);
    long *pids = malloc((n ? n : 1) * sizeof *pids);
    struct links_job job = {.root = root, .pids = pids, .me = (long)getpid(),
                            .rows = malloc((n ? n : 1) * sizeof *job.rows)};
    struct worker hands[MAX_WORKERS] = {0};
    PyObject *hits = NULL, *denied_pids = NULL;
    int started = 0;
    if (pids == NULL || job.rows == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if ((pids[i] = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i))) == -1 && PyErr_Occurred())
            goto done;
    Py_BEGIN_ALLOW_THREADS
    /* Our own fds first, alone: while the workers run, the directories they open for
     * other pids would show in our table. */
    struct crew crew = {.work = scan_other, .job = &job, .count = n, .block = 1};
    hands[0].crew = &crew;
    for (size_t i = 0; i < n; i++)
        if (pids[i] == job.me)
            scan_pid(&hands[0], i);
    started = run(&crew, hands, workers_for(workers, n, PID_THREADS_FROM));
    Py_END_ALLOW_THREADS
    threads_total += started;
    hits = PyList_New(0);
    denied_pids = PyList_New(0);
    for (size_t i = 0; hits && denied_pids && i < n; i++)
        if (pid_hits(&job, i, hands, wanted, hits, denied_pids) < 0)
            Py_CLEAR(hits);
done:
    free_hands(hands);
    free(job.rows);
    free(pids);
    Py_DECREF(seq);
    if (hits == NULL || denied_pids == NULL) {
        Py_XDECREF(hits);
        Py_XDECREF(denied_pids);
        return NULL;
    }
    return Py_BuildValue("(NN)", hits, denied_pids);
}

/* ---- ppids -------------------------------------------------------------------------- */

struct ppid_job {
    const char *root;
    const long *pids;
    long *ppids; /* -1: gone, hidden or unparsed */
};

static void read_ppid(struct worker *self, size_t item)
{
    struct ppid_job *job = self->crew->job;
    char path[PATH_MAX], text[4096];
    job->ppids[item] = -1;
    snprintf(path, sizeof path, "%s/%ld/stat", job->root, job->pids[item]);
    int handle = open(path, O_RDONLY | O_CLOEXEC);
    if (handle < 0)
        return; /* gone or hidden: nothing to find there */
    ssize_t got = read(handle, text, sizeof text - 1);
    close(handle);
    if (got <= 0)
        return;
    text[got] = '\0';
    /* proc(5): "pid (comm) state ppid ...": the comm may hold ')', so the last one. */
    char *close_paren = strrchr(text, ')');
    long ppid;
    char state;
    if (close_paren != NULL && sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2)
        job->ppids[item] = ppid;
}

static PyObject *ppids(PyObject *self, PyObject *args)
{
    const char *root;
    int workers = 0, err = 0, started = 0;
    if (!PyArg_ParseTuple(args, "s|i", &root, &workers) || parse_workers(workers) < 0)
        return NULL;
    struct ppid_job job = {.root = root};
    struct worker hands[MAX_WORKERS] = {0};
    long *pids = NULL;
    size_t n = 0;
    Py_BEGIN_ALLOW_THREADS
    int dir_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || (pids = list_numbers(dir_fd, '1', &n)) == NULL)
        err = errno;
    else if ((job.ppids = malloc((n ? n : 1) * sizeof *job.ppids)) == NULL)
        err = ENOMEM;
    else {
        job.pids = pids;
        struct crew crew = {.work = read_ppid, .job = &job, .count = n, .block = 8};
        started = run(&crew, hands, workers_for(workers, n, STAT_THREADS_FROM));
    }
    Py_END_ALLOW_THREADS
    threads_total += started;
    PyObject *out = err ? raise_errno(err, root) : PyDict_New();
    for (size_t i = 0; out != NULL && i < n; i++) {
        if (job.ppids[i] < 0)
            continue;
        PyObject *key = PyLong_FromLong(pids[i]), *value = PyLong_FromLong(job.ppids[i]);
        if (key == NULL || value == NULL || PyDict_SetItem(out, key, value) < 0)
            Py_CLEAR(out);
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    free_hands(hands);
    free(job.ppids);
    free(pids);
    return out;
}

/* ---- ahead ------------------------------------------------------------------------- */

/* What one process showed: its stat and cmdline texts, then its fd table (as fd_table),
 * all in one buffer of its own (the texts at offset 0 and stat_len, the rows' at theirs). */
struct proc_read {
    int done;     /* set, under the ahead's lock, once the rest is filled */
    int info_err; /* 0, or the errno of the stat or cmdline read (the rest then unread) */
    int fd_err;   /* 0, or the errno that stopped the fd table's read */
    size_t stat_len, cmd_len;
    char *text;
    long *fds;
    struct fd_row *rows;
    size_t n;
};

typedef struct {
    PyObject_HEAD
    char *root;
    long *pids;
    long me;
    struct proc_read *reads;
    struct crew crew;
    struct worker hands[MAX_WORKERS];
    int started;     /* threads running (or to be joined) */
    size_t given;    /* the next read __next__ returns */
    pthread_mutex_t lock;
    pthread_cond_t ready;
} Ahead;

/* The whole of a small /proc file appended to the arena, as procfs.slurp; 0 or errno. */
static int slurp(struct arena *text, const char *path, size_t *len)
{
    int handle = open(path, O_RDONLY | O_CLOEXEC);
    if (handle < 0)
        return errno;
    size_t at = text->len;
    for (ssize_t got = 1; got > 0; text->len += got) {
        char *into = room(text, INFO_MAX);
        got = into == NULL ? -1 : read(handle, into, INFO_MAX);
        if (got < 0) {
            int err = into == NULL ? ENOMEM : errno;
            close(handle);
            text->len = at;
            return err;
        }
    }
    close(handle);
    *len = text->len - at;
    return 0;
}

/* One process read as procfs reads it: stat and cmdline (read_procinfo), then the fd
 * table (read_fds) on this thread alone, into ``self``'s arena (used again for the next
 * process, rather than 80 KiB made and trimmed for each), then copied to a buffer the
 * size of what was read. */
static void read_proc(struct worker *self, const char *root, long pid, int own,
                      struct proc_read *out)
{
    char fd_path[PATH_MAX], info_path[PATH_MAX];
    self->text.len = 0;
    snprintf(fd_path, sizeof fd_path, "%s/%ld/stat", root, pid);
    snprintf(info_path, sizeof info_path, "%s/%ld/cmdline", root, pid);
    out->info_err = slurp(&self->text, fd_path, &out->stat_len);
    if (!out->info_err)
        out->info_err = slurp(&self->text, info_path, &out->cmd_len);
    if (!out->info_err) {
        snprintf(fd_path, sizeof fd_path, "%s/%ld/fd", root, pid);
        snprintf(info_path, sizeof info_path, "%s/%ld/fdinfo", root, pid);
        struct fd_job job = {.fd_dir = -1, .info_dir = -1};
        const char *failed;
        out->fd_err = open_table(&job, fd_path, info_path, own, &out->fds, &out->n, &failed);
        struct crew crew = {.job = &job};
        struct crew *mine = self->crew;
        int index = self->index;
        self->crew = &crew;
        self->index = 0; /* the rows' texts are in this process's buffer, not a worker's */
        for (size_t i = 0; !out->fd_err && i < out->n; i++)
            read_fd(self, i);
        self->crew = mine;
        self->index = index;
        close_table(&job);
        out->rows = job.rows;
    }
    out->text = malloc(self->text.len + 1);
    if (out->text == NULL)
        out->info_err = ENOMEM;
    else if (self->text.len > 0)
        memcpy(out->text, self->text.buf, self->text.len);
}

/* A crew's work: the read of one process (ours is read before the threads start). */
static void read_ahead(struct worker *self, size_t item)
{
    Ahead *a = self->crew->job;
    if (a->pids[item] == a->me)
        return;
    struct proc_read *out = &a->reads[item];
    read_proc(self, a->root, a->pids[item], 0, out);
    pthread_mutex_lock(&a->lock);
    out->done = 1;
    pthread_cond_broadcast(&a->ready);
    pthread_mutex_unlock(&a->lock);
}

/* Waits (without the GIL) until read ``item`` is done, taking blocks not yet taken
 * meanwhile rather than idle. */
static void wait_for(Ahead *a, size_t item)
{
    struct worker *self = &a->hands[0];
    for (;;) {
        pthread_mutex_lock(&a->lock);
        int done = a->reads[item].done;
        pthread_mutex_unlock(&a->lock);
        if (done)
            return;
        size_t first = __atomic_fetch_add(&a->crew.next, a->crew.block, __ATOMIC_RELAXED);
        if (first >= a->crew.count)
            break;
        size_t last = first + a->crew.block < a->crew.count ? first + a->crew.block
                                                             : a->crew.count;
        for (size_t i = first; i < last; i++)
            read_ahead(self, i);
    }
    pthread_mutex_lock(&a->lock);
    while (!a->reads[item].done)
        pthread_cond_wait(&a->ready, &a->lock);
    pthread_mutex_unlock(&a->lock);
}

/* No more reads taken; the threads joined. */
static void stop(Ahead *a)
{
    if (a->started < 0)
        return;
    __atomic_store_n(&a->crew.next, a->crew.count, __ATOMIC_RELAXED);
    join(a->hands, a->started);
    a->started = -1;
}

static void ahead_dealloc(Ahead *a)
{
    Py_BEGIN_ALLOW_THREADS
    stop(a);
    Py_END_ALLOW_THREADS
    for (size_t i = 0; a->reads != NULL && i < a->crew.count; i++) {
        free(a->reads[i].text);
        free(a->reads[i].fds);
        free(a->reads[i].rows);
    }
    free(a->reads);
    free(a->pids);
    free(a->root);
    free_hands(a->hands);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->ready);
    Py_TYPE(a)->tp_free((PyObject *)a);
}

/* The first errno of the table's rows that is not an fd closed meanwhile; 0 if none. */
static int rows_err(const struct proc_read *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->rows[i].err != 0 && !gone(r->rows[i].err))
            return r->rows[i].err;
    return 0;
}

/* (pid, info errno, stat, cmdline, rows as fd_table's or the fd table's errno). */
static PyObject *made(const struct proc_read *r, long pid)
{
    if (r->info_err)
        return Py_BuildValue("(liOOO)", pid, r->info_err, Py_None, Py_None, Py_None);
    int err = r->fd_err ? r->fd_err : rows_err(r);
    struct fd_job job = {.fds = r->fds, .rows = r->rows};
    struct worker hand = {.text = {.buf = r->text}};
    PyObject *rows = err ? PyLong_FromLong(err) : fd_rows(&job, r->n, &hand);
    if (rows == NULL)
        return NULL;
    return Py_BuildValue("(liy#y#N)", pid, 0, r->text, (Py_ssize_t)r->stat_len,
                         r->text + r->stat_len, (Py_ssize_t)r->cmd_len, rows);
}

static PyObject *ahead_next(Ahead *a)
{
    if (a->given >= a->crew.count)
        return NULL; /* StopIteration */
    size_t item = a->given++;
    Py_BEGIN_ALLOW_THREADS
    wait_for(a, item);
    if (a->given == a->crew.count)
        stop(a);
    Py_END_ALLOW_THREADS
    struct proc_read *r = &a->reads[item];
    PyObject *out = made(r, a->pids[item]);
    free(r->text);
    free(r->fds);
    free(r->rows);
    r->text = NULL, r->fds = NULL, r->rows = NULL;
    return out;
}

static PyObject *ahead_close(Ahead *a, PyObject *unused)
{
    Py_BEGIN_ALLOW_THREADS
    stop(a);
    Py_END_ALLOW_THREADS
    a->given = a->crew.count;
    Py_RETURN_NONE;
}

static PyMethodDef ahead_methods[] = {
    {"close", (PyCFunction)ahead_close, METH_NOARGS, "Stop reading ahead; join the threads."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AheadType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "iochannels.live._scan.Ahead",
    .tp_basicsize = sizeof(Ahead),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Processes read ahead on threads, given back in order (see ahead()).",
    .tp_dealloc = (destructor)ahead_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)ahead_next,
    .tp_methods = ahead_methods,
};

static PyObject *ahead(PyObject *self, PyObject *args)
{
    const char *root;
    PyObject *pid_list;
    int workers = 0;
    if (!PyArg_ParseTuple(args, "sO|i", &root, &pid_list, &workers) ||
        parse_workers(workers) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(pid_list, "pids must be a sequence");
    if (seq == NULL)
        return NULL;
    size_t n = (size_t)PySequence_Fast_GET_SIZE(seq);
    Ahead *a = PyObject_New(Ahead, &AheadType);
    if (a == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    /* Zeroed before anything can fail: dealloc frees what is there. */
    memset((char *)a + sizeof(PyObject), 0, sizeof *a - sizeof(PyObject));
    a->started = -1;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->ready, NULL);
    a->crew = (struct crew){.work = read_ahead, .job = a, .count = n, .block = 1};
    a->me = (long)getpid();
    a->root = strdup(root);
    a->pids = malloc((n ? n : 1) * sizeof *a->pids);
    a->reads = calloc(n ? n : 1, sizeof *a->reads);
    if (a->root == NULL || a->pids == NULL || a->reads == NULL) {
        a->crew.count = 0;
        Py_DECREF(seq);
        Py_DECREF(a);
        return PyErr_NoMemory();
    }
    for (size_t i = 0; i < n; i++)
        if ((a->pids[i] = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i))) == -1 &&
            PyErr_Occurred()) {
            Py_DECREF(seq);
            Py_DECREF(a);
            return NULL;
        }
    Py_DECREF(seq);
    int hands = workers_for(workers, n, 1);
    Py_BEGIN_ALLOW_THREADS
    /* Our own table first, alone, as links_scan: while the threads run, the directories
     * they open for other pids would show in it. */
    a->hands[0].pipe_mnt = a->hands[0].socket_mnt = -1;
    for (size_t i = 0; i < n; i++)
        if (a->pids[i] == a->me) {
            read_proc(&a->hands[0], a->root, a->me, 1, &a->reads[i]);
            a->reads[i].done = 1;
        }
    /* The calling thread has Python's share of the work: the threads read for it, and
     * it reads only what no thread has taken when it must wait. */
    a->started = start(&a->crew, a->hands, hands > 1 ? hands : 2);
    Py_END_ALLOW_THREADS
    threads_total += a->started;
    return (PyObject *)a;
}

static PyObject *threads_started(PyObject *self, PyObject *unused)
{
    return PyLong_FromUnsignedLong(threads_total);
}

static PyMethodDef methods[] = {
    {"fd_table", fd_table, METH_VARARGS, "Links and fdinfo of every fd of one process."},
    {"links_scan", links_scan, METH_VARARGS, "The fds of many processes whose link is wanted."},
    {"ppids", ppids, METH_VARARGS, "Every process and its parent."},
    {"ahead", ahead, METH_VARARGS, "Processes' stat, cmdline and fd table, read ahead."},
    {"threads_started", threads_started, METH_NOARGS, "Threads started by the calls so far."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The system calls of a scan, in C (see procfs.py).", -1,
    methods,
};

/* The calls this module offers, as procfs.py expects them: raised with every change of a
   call or its results, so that a module built from older source (an editable install not
   rebuilt after an update) is set aside for the pure-Python path, not called wrongly. */
#define SCAN_API 2

PyMODINIT_FUNC PyInit__scan(void)
{
    if (PyType_Ready(&AheadType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddIntMacro(m, SCAN_API) < 0 ||
                      PyModule_AddIntMacro(m, AHEAD_FROM) < 0 ||
                      PyModule_AddIntMacro(m, MAX_WORKERS) < 0 ||
                      PyModule_AddIntMacro(m, FD_THREADS_FROM) < 0 ||
                      PyModule_AddIntMacro(m, PID_THREADS_FROM) < 0 ||
                      PyModule_AddIntMacro(m, STAT_THREADS_FROM) < 0))
        Py_CLEAR(m);
    return m;
}

/* iochannels.live._scan: the per-fd and per-process system calls of a scan, in C.
 *
 * Optional (built by setup.py when a compiler is there; IOCHANNELS_PURE=1 ignores it):
 * procfs.py makes the same calls in Python when it is absent. It does only the calls and
 * the little parsing they need, and returns plain tuples; what they mean (kinds,
 * channels, pairs) is decided in Python, once, for both paths.
 *
 *   fd_table(fd_dir, info_dir, skip_own) -> [(fd, link, fdinfo bytes or None), ...]
 *       Lists fd_dir (/proc/PID/fd), reads each fd's link (readlink(2)) and, when
 *       info_dir (/proc/PID/fdinfo) is given, its fdinfo text in one read(2), as
 *       procfs.read_fds does; sorted by fd. An fd closed while it is read (ENOENT) is
 *       skipped (proc(5): the table changes under us); any other error raises OSError.
 *       skip_own: the table is our own, so leave out the directory fds of this read.
 *   links_scan(root, pids, wanted) -> ([(pid, fd, link), ...], [denied pid, ...])
 *       The search for other ends (holders.py): the links of every fd of every pid,
 *       keeping those whose text is in the set ``wanted``. A process gone is skipped;
 *       one whose fds may not be read (EACCES, EPERM) is listed as denied.
 *   ppids(root) -> {pid: ppid}
 *       Every process of root (/proc) and its parent, from /proc/PID/stat (field 4).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INFO_MAX 65536 /* as procfs.read_fds: one read(2) of up to 64 KiB */

static int gone(int err) { return err == ENOENT || err == ESRCH; }

static int by_number(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The fd numbers listed in the directory open at dir_fd (consumed), ascending. */
static long *list_numbers(int dir_fd, size_t *count)
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
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
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

static PyObject *fd_table(PyObject *self, PyObject *args)
{
    const char *fd_path, *info_path;
    int skip_own;
    if (!PyArg_ParseTuple(args, "szp", &fd_path, &info_path, &skip_own))
        return NULL;
    int fd_dir = open(fd_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_dir < 0)
        return raise_errno(errno, fd_path);
    int info_dir = -1;
    if (info_path != NULL && (info_dir = open(info_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        int err = errno;
        close(fd_dir);
        return raise_errno(err, info_path);
    }
    int list_fd = dup(fd_dir);
    size_t n = 0;
    long *fds = list_fd < 0 ? NULL : list_numbers(list_fd, &n);
    PyObject *out = NULL;
    char *info = info_dir >= 0 ? malloc(INFO_MAX) : NULL;
    if (fds == NULL || (info_dir >= 0 && info == NULL)) {
        raise_errno(fds == NULL ? errno : ENOMEM, fd_path);
        goto done;
    }
    if ((out = PyList_New(0)) == NULL)
        goto done;
    char name[32], link[PATH_MAX + 1];
    /* As procfs.Links: pipes and sockets live on the kernel's pipefs and sockfs mounts and
     * their link is "pipe:[INODE]" / "socket:[INODE]". Once one link has shown which mount
     * id (fdinfo "mnt_id:", Linux 5.14+ with "ino:") is which, the others are named from
     * their fdinfo alone, without a readlink(2) each. */
    long pipe_mnt = -1, socket_mnt = -1;
    for (size_t i = 0; i < n; i++) {
        long fd = fds[i];
        if (skip_own && (fd == fd_dir || fd == info_dir || fd == list_fd))
            continue;
        snprintf(name, sizeof name, "%ld", fd);
        PyObject *text = Py_None;
        Py_INCREF(text);
        if (info_dir >= 0) {
            int handle = openat(info_dir, name, O_RDONLY | O_CLOEXEC);
            ssize_t got = -1;
            int err = errno;
            if (handle >= 0) {
                got = read(handle, info, INFO_MAX);
                err = errno;
                close(handle);
            }
            if (got < 0) {
                Py_DECREF(text);
                if (gone(err))
                    continue; /* closed while we looked: skipped, as psutil does */
                Py_CLEAR(out);
                raise_errno(err, name);
                goto done;
            }
            Py_DECREF(text);
            if ((text = PyBytes_FromStringAndSize(info, got)) == NULL) {
                Py_CLEAR(out);
                goto done;
            }
        }
        long mnt = -1, ino = -1;
        ssize_t len = -1;
        if (text != Py_None) {
            ssize_t got = PyBytes_GET_SIZE(text);
            mnt = field(info, got, "mnt_id:");
            ino = mnt < 0 ? -1 : field(info, got, "ino:");
            if (ino >= 0 && (mnt == pipe_mnt || mnt == socket_mnt))
                len = snprintf(link, sizeof link, "%s:[%ld]", mnt == pipe_mnt ? "pipe" : "socket",
                               ino);
        }
        if (len < 0 && (len = readlinkat(fd_dir, name, link, sizeof link - 1)) >= 0 && ino >= 0) {
            long named;
            char end;
            link[len] = '\0';
            if (sscanf(link, "pipe:[%ld%c", &named, &end) == 2 && end == ']' && named == ino)
                pipe_mnt = mnt;
            else if (sscanf(link, "socket:[%ld%c", &named, &end) == 2 && end == ']' &&
                     named == ino)
                socket_mnt = mnt;
        }
        if (len < 0) {
            int err = errno;
            Py_DECREF(text);
            if (gone(err))
                continue;
            Py_CLEAR(out);
            raise_errno(err, name);
            goto done;
        }
        /* As os.readlink: the file system encoding, undecodable bytes kept (PEP 383). */
        PyObject *item = Py_BuildValue("(lNN)", fd, PyUnicode_DecodeFSDefaultAndSize(link, len),
                                       text);
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(item);
    }
done:
    free(fds);
    free(info);
    close(fd_dir);
    if (info_dir >= 0)
        close(info_dir);
    return out;
}

/* One pid's hits into hits; returns 0, 1 if denied, -1 on error (exception set). */
static int scan_one(const char *root, long pid, long me, PyObject *wanted, PyObject *hits)
{
    char path[PATH_MAX], name[32], link[PATH_MAX + 1];
    snprintf(path, sizeof path, "%s/%ld/fd", root, pid);
    int fd_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_dir < 0) {
        if (gone(errno))
            return 0;
        if (errno == EACCES || errno == EPERM)
            return 1;
        raise_errno(errno, path);
        return -1;
    }
    int list_fd = dup(fd_dir);
    size_t n = 0;
    long *fds = list_fd < 0 ? NULL : list_numbers(list_fd, &n);
    if (fds == NULL) {
        int err = errno;
        close(fd_dir);
        if (gone(err))
            return 0;
        if (err == EACCES || err == EPERM)
            return 1;
        raise_errno(err, path);
        return -1;
    }
    int status = 0;
    Py_ssize_t first = PyList_GET_SIZE(hits);
    for (size_t i = 0; i < n; i++) {
        if (pid == me && (fds[i] == fd_dir || fds[i] == list_fd))
            continue;
        snprintf(name, sizeof name, "%ld", fds[i]);
        ssize_t len = readlinkat(fd_dir, name, link, sizeof link - 1);
        if (len < 0) {
            if (gone(errno))
                continue;
            if (errno == EACCES || errno == EPERM) {
                /* As procfs.read_fds: one fd denied makes the whole table unread. */
                status = PyList_SetSlice(hits, first, PyList_GET_SIZE(hits), NULL) < 0 ? -1 : 1;
                break;
            }
            raise_errno(errno, name);
            status = -1;
            break;
        }
        PyObject *text = PyUnicode_DecodeFSDefaultAndSize(link, len);
        int hit = text == NULL ? -1 : PySet_Contains(wanted, text);
        if (hit > 0) {
            PyObject *item = Py_BuildValue("(llO)", pid, fds[i], text);
            hit = item == NULL ? -1 : PyList_Append(hits, item);
            Py_XDECREF(item);
        }
        Py_XDECREF(text);
        if (hit < 0) {
            status = -1;
            break;
        }
    }
    free(fds);
    close(fd_dir);
    return status;
}

static PyObject *links_scan(PyObject *self, PyObject *args)
{
    const char *root;
    PyObject *pids, *wanted;
    if (!PyArg_ParseTuple(args, "sOO!", &root, &pids, &PySet_Type, &wanted))
        return NULL;
    PyObject *seq = PySequence_Fast(pids, "pids must be a sequence");
    if (seq == NULL)
        return NULL;
    PyObject *hits = PyList_New(0), *denied = PyList_New(0);
    long me = (long)getpid();
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; hits != NULL && denied != NULL && i < count; i++) {
        long pid = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (pid == -1 && PyErr_Occurred())
            goto fail;
        int status = scan_one(root, pid, me, wanted, hits);
        if (status < 0)
            goto fail;
        if (status == 1) {
            PyObject *number = PyLong_FromLong(pid);
            if (number == NULL || PyList_Append(denied, number) < 0) {
                Py_XDECREF(number);
                goto fail;
            }
            Py_DECREF(number);
        }
    }
    Py_DECREF(seq);
    if (hits == NULL || denied == NULL)
        goto fail_lists;
    return Py_BuildValue("(NN)", hits, denied);
fail:
    Py_DECREF(seq);
fail_lists:
    Py_XDECREF(hits);
    Py_XDECREF(denied);
    return NULL;
}

static PyObject *ppids(PyObject *self, PyObject *args)
{
    const char *root;
    if (!PyArg_ParseTuple(args, "s", &root))
        return NULL;
    DIR *dir = opendir(root);
    if (dir == NULL)
        return raise_errno(errno, root);
    PyObject *out = PyDict_New();
    char path[PATH_MAX], text[4096];
    for (struct dirent *entry; out != NULL && (entry = readdir(dir)) != NULL;) {
        char *end;
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0')
            continue;
        snprintf(path, sizeof path, "%s/%ld/stat", root, pid);
        int handle = open(path, O_RDONLY | O_CLOEXEC);
        if (handle < 0)
            continue; /* gone or hidden: nothing to find there */
        ssize_t got = read(handle, text, sizeof text - 1);
        close(handle);
        if (got <= 0)
            continue;
        text[got] = '\0';
        /* proc(5): "pid (comm) state ppid ...": the comm may hold ')', so the last one. */
        char *close_paren = strrchr(text, ')');
        long ppid;
        char state;
        if (close_paren == NULL || sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2)
            continue;
        PyObject *key = PyLong_FromLong(pid), *value = PyLong_FromLong(ppid);
        if (key == NULL || value == NULL || PyDict_SetItem(out, key, value) < 0)
            Py_CLEAR(out);
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    closedir(dir);
    return out;
}

static PyMethodDef methods[] = {
    {"fd_table", fd_table, METH_VARARGS, "Links and fdinfo of every fd of one process."},
    {"links_scan", links_scan, METH_VARARGS, "The fds of many processes whose link is wanted."},
    {"ppids", ppids, METH_VARARGS, "Every process and its parent."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The system calls of a scan, in C (see procfs.py).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }

/* _syscalls: two system calls Python's os module does not offer, for the scan.
 *
 *   pidfd_getfd(pidfd, fd) -> int     pidfd_getfd(2): a copy of another process's fd
 *                                     (close-on-exec set), as pipes.py measures a pipe
 *   kcmp_file(pid1, pid2, fd1, fd2)   kcmp(2) with KCMP_FILE: 0 when both fds point to
 *                                     one open file description, 1 or 2 to order them
 *   pipe_buffer(pidfd, fd, inode)     pipes.py's measure in one call: the copy, its
 *                                     inode checked (-1: not checked), F_GETPIPE_SZ and
 *                                     FIONREAD, the copy closed; (capacity, used), or None
 *                                     when the fd is another file now or is no pipe
 *
 * Both raise OSError with the call's errno on failure. Without this module (no C
 * compiler at install, or IOCHANNELS_PURE=1) the same calls go through ctypes; the
 * module only spares the import of ctypes and platform (a tenth of the start-up of
 * `iochannels fds PID --json`) and a ctypes call per pipe.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438 /* the same number on every architecture (asm-generic) */
#endif

static PyObject *pidfd_getfd(PyObject *self, PyObject *args)
{
    int pidfd, fd;
    if (!PyArg_ParseTuple(args, "ii:pidfd_getfd", &pidfd, &fd))
        return NULL;
    long copy = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (copy < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    return PyLong_FromLong(copy);
}

static PyObject *kcmp_file(PyObject *self, PyObject *args)
{
#ifdef SYS_kcmp
    int pid1, pid2, fd1, fd2;
    if (!PyArg_ParseTuple(args, "iiii:kcmp_file", &pid1, &pid2, &fd1, &fd2))
        return NULL;
    long order = syscall(SYS_kcmp, pid1, pid2, 0 /* KCMP_FILE */, fd1, fd2);
    if (order < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    return PyLong_FromLong(order);
#else
    errno = ENOSYS; /* an architecture whose headers name no kcmp */
    return PyErr_SetFromErrno(PyExc_OSError);
#endif
}

static PyObject *pipe_buffer(PyObject *self, PyObject *args)
{
    int pidfd, fd;
    long long inode;
    if (!PyArg_ParseTuple(args, "iiL:pipe_buffer", &pidfd, &fd, &inode))
        return NULL;
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (copy < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    struct stat st;
    int capacity = -1, used = -1;
    if (fstat(copy, &st) == 0 && (inode < 0 || (long long)st.st_ino == inode)) {
        capacity = fcntl(copy, F_GETPIPE_SZ);
        if (capacity >= 0 && ioctl(copy, FIONREAD, &used) < 0)
            used = -1;
    }
    close(copy); /* not the last reference: the holder still has its own (pipes.py) */
    if (capacity < 0 || used < 0)
        Py_RETURN_NONE;
    return Py_BuildValue("(ii)", capacity, used);
}

static PyMethodDef methods[] = {
    {"pidfd_getfd", pidfd_getfd, METH_VARARGS, "A copy of another process's fd."},
    {"kcmp_file", kcmp_file, METH_VARARGS, "kcmp(KCMP_FILE): 0 when two fds share a file."},
    {"pipe_buffer", pipe_buffer, METH_VARARGS, "Capacity and fill of another process's pipe."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_syscalls", "System calls os does not offer (pidfd_getfd, kcmp).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__syscalls(void) { return PyModule_Create(&module); }

/* _syscalls: two system calls Python's os module does not offer, for the scan.
 *
 *   pidfd_getfd(pidfd, fd) -> int     pidfd_getfd(2): a copy of another process's fd
 *                                     (close-on-exec set), as pipes.py measures a pipe
 *   kcmp_file(pid1, pid2, fd1, fd2)   kcmp(2) with KCMP_FILE: 0 when both fds point to
 *                                     one open file description, 1 or 2 to order them
 *
 * Both raise OSError with the call's errno on failure. Without this module (no C
 * compiler at install, or IOCHANNELS_PURE=1) the same calls go through ctypes; the
 * module only spares the import of ctypes and platform (a tenth of the start-up of
 * `iochannels fds PID --json`) and a ctypes call per pipe.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
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

static PyMethodDef methods[] = {
    {"pidfd_getfd", pidfd_getfd, METH_VARARGS, "A copy of another process's fd."},
    {"kcmp_file", kcmp_file, METH_VARARGS, "kcmp(KCMP_FILE): 0 when two fds share a file."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_syscalls", "System calls os does not offer (pidfd_getfd, kcmp).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__syscalls(void) { return PyModule_Create(&module); }

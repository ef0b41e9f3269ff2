/* The C reference of `iochannels bench`: the same measures as bench/measures.py, in C.
 *
 * Compiled on first use with the system's cc (bench/creference.py) and run once per
 * (measure, kind, size). Same protocol as the Python side, so that the two differ only in
 * the language of the loops (LMbench's bw_pipe, lat_pipe, lat_unix, lat_tcp method):
 *
 *   stream  KIND SIZE COUNT REPS BUF PIN_R PIN_S DIR  one-way, timed on the receiver
 *   pingpong KIND SIZE ROUNDS WARMUP BUF PIN_R PIN_S DIR  round trips, SIZE both ways
 *   memcpy  SIZE COUNT REPS                              copying through memory
 *   splice  SIZE COUNT REPS BUF PIN_R PIN_S DIR           memfd -> pipe -> /dev/null
 *   vmsplice SIZE COUNT REPS BUF PIN_R PIN_S DIR          user pages -> pipe -> /dev/null
 *
 * Output, one line each: "rep SECONDS BYTES SENT RECEIVED" (messages sent and received:
 * a UDP datagram can be lost, udp(7)), or "sample NANOSECONDS" per round trip.
 * A run of REPS repetitions is preceded by one untimed warm-up repetition.
 * PIN_R/PIN_S: CPU numbers for the receiver and the sender, -1 for none.
 * The child asks to be killed when its parent dies (prctl(2) PR_SET_PDEATHSIG): a killed
 * bench leaves no process behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum kind { PIPE, FIFO, USTREAM, UDGRAM, USEQ, TCP, UDP, SHM };
static const char *kinds[] = {"pipe", "fifo", "unix-stream", "unix-dgram",
                              "unix-seqpacket", "tcp", "udp", "shm", NULL};

static void die(const char *what) { perror(what); exit(1); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
}

/* The shared-memory ring: counters that only grow (as xv6's pipe), on their own cache
 * lines; the writer publishes `head` after the copy, the reader `tail` after its copy. */
struct ring {
    _Alignas(64) volatile uint64_t head;
    _Alignas(64) volatile uint64_t tail;
    _Alignas(64) volatile uint64_t closed;
    _Alignas(64) unsigned char data[];
};
static size_t ring_cap;

static struct ring *ring_new(size_t cap) {
    ring_cap = cap;
    void *p = mmap(NULL, sizeof(struct ring) + cap, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

static void ring_write(struct ring *r, const unsigned char *src, size_t n) {
    while (n) {
        uint64_t head = r->head, tail;
        while ((tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) + ring_cap == head)
            sched_yield();
        size_t room = ring_cap - (size_t)(head - tail), at = head % ring_cap;
        size_t k = n < room ? n : room;
        if (k > ring_cap - at) k = ring_cap - at;
        memcpy(r->data + at, src, k);
        __atomic_store_n(&r->head, head + k, __ATOMIC_RELEASE);
        src += k, n -= k;
    }
}

static ssize_t ring_read(struct ring *r, unsigned char *dst, size_t n) {
    uint64_t tail = r->tail, head;
    while ((head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) == tail) {
        if (r->closed) return 0;
        sched_yield();
    }
    size_t avail = (size_t)(head - tail), at = tail % ring_cap;
    size_t k = n < avail ? n : avail;
    if (k > ring_cap - at) k = ring_cap - at;
    memcpy(dst, r->data + at, k);
    __atomic_store_n(&r->tail, tail + k, __ATOMIC_RELEASE);
    return (ssize_t)k;
}

/* One end of a channel: an fd, or a ring for shm. */
struct end { int fd; struct ring *ring; };

static ssize_t end_read(struct end *e, void *buf, size_t n) {
    if (e->ring) return ring_read(e->ring, buf, n);
    ssize_t got;
    do got = read(e->fd, buf, n); while (got < 0 && errno == EINTR);
    return got;
}

static void end_write(struct end *e, const void *buf, size_t n, int dgram) {
    if (e->ring) { ring_write(e->ring, buf, n); return; }
    const char *p = buf;
    while (n) {
        ssize_t put = write(e->fd, p, n);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0 && dgram && (errno == ENOBUFS || errno == ECONNREFUSED)) return;
        if (put < 0) die("write");
        if (dgram) return;  /* a datagram goes whole or not at all */
        p += put, n -= (size_t)put;
    }
}

static void end_close(struct end *e) {
    if (e->ring) { __atomic_store_n(&e->ring->closed, 1, __ATOMIC_RELEASE); return; }
    close(e->fd);
}

static void set_bufs(int fd, int buf) {
    if (buf <= 0) return;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
}

/* A channel from `a` (one side) to `b` (the other): both ends of both directions. For
 * pipes and FIFOs one direction only (pipe(7)); call twice for a ping-pong. */
static void channel(enum kind k, int buf, const char *dir, struct end *a, struct end *b) {
    int sv[2], one = 1;
    memset(a, 0, sizeof *a), memset(b, 0, sizeof *b);
    switch (k) {
    case PIPE:
        if (pipe(sv) < 0) die("pipe");
        if (buf > 0) fcntl(sv[1], F_SETPIPE_SZ, buf);
        b->fd = sv[0], a->fd = sv[1];
        return;
    case FIFO: {
        char path[4096];
        static int n;
        snprintf(path, sizeof path, "%s/c%d-%d", dir, (int)getpid(), n++);
        if (mkfifo(path, 0600) < 0) die("mkfifo");
        b->fd = open(path, O_RDONLY | O_NONBLOCK);
        a->fd = open(path, O_WRONLY);
        if (b->fd < 0 || a->fd < 0) die("open fifo");
        fcntl(b->fd, F_SETFL, 0);
        unlink(path);
        if (buf > 0) fcntl(a->fd, F_SETPIPE_SZ, buf);
        return;
    }
    case USTREAM: case UDGRAM: case USEQ: {
        int type = k == USTREAM ? SOCK_STREAM : k == UDGRAM ? SOCK_DGRAM : SOCK_SEQPACKET;
        if (socketpair(AF_UNIX, type, 0, sv) < 0) die("socketpair");
        set_bufs(sv[0], buf), set_bufs(sv[1], buf);
        a->fd = sv[0], b->fd = sv[1];
        return;
    }
    case TCP: case UDP: {
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof addr;
        int type = k == TCP ? SOCK_STREAM : SOCK_DGRAM;
        int l = socket(AF_INET, type, 0), c = socket(AF_INET, type, 0);
        if (l < 0 || c < 0) die("socket");
        set_bufs(l, buf), set_bufs(c, buf);
        if (bind(l, (void *)&addr, len) < 0) die("bind");
        getsockname(l, (void *)&addr, &len);
        if (k == TCP) {
            if (listen(l, 1) < 0) die("listen");
            if (connect(c, (void *)&addr, len) < 0) die("connect");
            int s = accept(l, NULL, NULL);
            if (s < 0) die("accept");
            close(l);
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            a->fd = c, b->fd = s;
            return;
        }
        struct sockaddr_in back = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t blen = sizeof back;
        if (bind(c, (void *)&back, blen) < 0) die("bind");
        getsockname(c, (void *)&back, &blen);
        if (connect(c, (void *)&addr, len) < 0 || connect(l, (void *)&back, blen) < 0)
            die("connect");
        a->fd = c, b->fd = l;
        return;
    }
    case SHM:
        a->ring = b->ring = ring_new(buf > 0 ? (size_t)buf : 1 << 20);
        return;
    }
}

static pid_t child(int cpu) {
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        pin(cpu);
    }
    return pid;
}

static int reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int stream(enum kind k, size_t size, long count, int reps, int buf, int pr, int ps,
                  const char *dir) {
    struct end a, b;
    int go[2], done[2], dgram = k == UDGRAM || k == USEQ || k == UDP;
    channel(k, buf, dir, &a, &b);
    if (pipe(go) < 0 || pipe(done) < 0) die("pipe");
    unsigned char *msg = malloc(size), *in = malloc(size);
    memset(msg, 'x', size);
    pid_t pid = child(ps);
    if (pid == 0) {  /* the sender */
        if (!a.ring) close(b.fd);
        close(go[1]), close(done[0]);
        char c;
        for (int r = 0; r <= reps; r++) {
            if (read(go[0], &c, 1) != 1) _exit(1);
            for (long i = 0; i < count; i++) end_write(&a, msg, size, dgram);
            uint64_t sent = (uint64_t)count;
            if (write(done[1], &sent, sizeof sent) != sizeof sent) _exit(1);
        }
        end_close(&a);
        _exit(0);
    }
    pin(pr);
    if (!a.ring) close(a.fd);
    close(go[0]), close(done[1]);
    for (int r = 0; r <= reps; r++) {
        uint64_t want = (uint64_t)count * size, got = 0, msgs = 0, sent = 0;
        double start = now(), last = start;
        if (write(go[1], "g", 1) != 1) die("write");
        if (k == UDP) {
            /* A datagram that finds the receive buffer full is dropped (udp(7)): read
             * until the sender says it is done, then what is left; count the rest lost. */
            struct pollfd fds[2] = {{b.fd, POLLIN, 0}, {done[0], POLLIN, 0}};
            int finished = 0;
            for (;;) {
                if (!finished && poll(fds, 2, -1) < 0 && errno != EINTR) die("poll");
                if (!finished && (fds[1].revents & (POLLIN | POLLHUP))) {
                    if (read(done[0], &sent, sizeof sent) != sizeof sent) die("sender");
                    finished = 1;
                    fcntl(b.fd, F_SETFL, O_NONBLOCK);
                }
                if (finished || (fds[0].revents & POLLIN)) {
                    ssize_t n = read(b.fd, in, size);
                    if (n < 0 && errno == EAGAIN) {
                        if (finished) break;
                        continue;
                    }
                    if (n <= 0) die("read");
                    got += (uint64_t)n, msgs++, last = now();
                }
            }
            fcntl(b.fd, F_SETFL, 0);
        } else {
            while (got < want) {
                ssize_t n = end_read(&b, in, size);
                if (n <= 0) die("read");
                got += (uint64_t)n, msgs++;
            }
            last = now();
            if (read(done[0], &sent, sizeof sent) != sizeof sent) die("sender");
        }
        if (r > 0)
            printf("rep %.9f %llu %llu %llu\n", last - start, (unsigned long long)got,
                   (unsigned long long)sent, (unsigned long long)msgs);
    }
    close(go[1]);
    if (!b.ring) close(b.fd);
    return reap(pid);
}

static int pingpong(enum kind k, size_t size, long rounds, long warmup, int buf, int pr,
                    int ps, const char *dir) {
    struct end a, b, back_a, back_b;  /* a -> b, then back_a (at b's side) -> back_b */
    int dgram = k == UDGRAM || k == USEQ || k == UDP;
    channel(k, buf, dir, &a, &b);
    if (k == PIPE || k == FIFO) channel(k, buf, dir, &back_a, &back_b);
    else if (k == SHM) channel(k, buf, dir, &back_a, &back_b);
    else back_a = b, back_b = a;  /* a socket carries both ways */
    unsigned char *msg = calloc(1, size), *in = malloc(size);
    pid_t pid = child(ps);
    if (pid == 0) {  /* the echo side: receive SIZE bytes, send SIZE back, until EOF */
        if (k == PIPE || k == FIFO) close(a.fd), close(back_b.fd);
        else if (k != SHM) close(a.fd);
        for (;;) {
            size_t got = 0;
            while (got < size) {
                ssize_t n = end_read(&b, in + got, size - got);
                if (n <= 0) _exit(0);
                got += (size_t)n;
                if (dgram) break;
            }
            end_write(&back_a, in, got, dgram);
        }
    }
    pin(pr);
    if (k == PIPE || k == FIFO) close(b.fd), close(back_a.fd);
    else if (k != SHM) close(b.fd);
    struct pollfd pf = {back_b.fd, POLLIN, 0};
    for (long i = 0; i < warmup + rounds; i++) {
        double start = now();
        end_write(&a, msg, size, dgram);
        size_t got = 0;
        while (got < size) {
            if (k == UDP && poll(&pf, 1, 1000) == 0) break;  /* lost: count it, go on */
            ssize_t n = end_read(&back_b, in + got, size - got);
            if (n <= 0) die("read");
            got += (size_t)n;
            if (dgram) break;
        }
        double took = now() - start;
        if (i >= warmup) {
            if (got < size) printf("lost\n");
            else printf("sample %.0f\n", took * 1e9);
        }
    }
    if (dgram) send(a.fd, "", 0, 0);  /* a datagram socket has no EOF: an empty one ends */
    end_close(&a);
    if (k == PIPE || k == FIFO) close(back_b.fd);
    if (k == UDP) kill(pid, SIGKILL);  /* the empty datagram that ends it may be lost */
    return reap(pid) && k != UDP;
}

static int copy(size_t size, long count, int reps) {
    /* Two malloc'd blocks of 64 KiB lie a multiple of 4 KiB apart, and a copy between
     * addresses that alias in their low 12 bits is slowed by the CPU's store-to-load
     * checks ("4K aliasing"): 3x here. Offset the destination so the figure is the
     * copy's, not the allocator's (Python's buffers happen not to alias). */
    unsigned char *src = malloc(2 * size + 4096), *dst = src + size + 1088;
    memset(src, 'x', size), memset(dst, 0, size);
    for (int r = 0; r <= reps; r++) {
        double start = now();
        for (long i = 0; i < count; i++) {
            memcpy(dst, src, size);
            __asm__ volatile("" : : "r"(dst) : "memory");  /* the copy must happen */
        }
        double took = now() - start;
        if (r > 0)
            printf("rep %.9f %llu %ld %ld\n", took, (unsigned long long)size * count, count,
                   count);
    }
    return 0;
}

/* The zero-copy path (splice(2), vmsplice(2)): pages are moved into the pipe by
 * reference and spliced on to /dev/null; no byte is copied, and none is read. */
static int zerocopy(int user_pages, size_t size, long count, int reps, int buf, int pr,
                    int ps) {
    int p[2], go[2], done[2];
    if (pipe(p) < 0 || pipe(go) < 0 || pipe(done) < 0) die("pipe");
    if (buf > 0) fcntl(p[1], F_SETPIPE_SZ, buf);
    int src = memfd_create("iochannels-bench", 0);
    if (src < 0 || ftruncate(src, (off_t)size) < 0) die("memfd");
    unsigned char *msg = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
    memset(msg, 'x', size);
    if (write(src, msg, size) != (ssize_t)size) die("write");
    pid_t pid = child(ps);
    if (pid == 0) {
        close(p[0]), close(go[1]), close(done[0]);
        char c;
        for (int r = 0; r <= reps; r++) {
            if (read(go[0], &c, 1) != 1) _exit(1);
            for (long i = 0; i < count; i++) {
                size_t left = size;
                while (left) {
                    ssize_t n;
                    if (user_pages) {
                        struct iovec iov = {msg + (size - left), left};
                        n = vmsplice(p[1], &iov, 1, 0);
                    } else {
                        loff_t off = (loff_t)(size - left);
                        n = splice(src, &off, p[1], NULL, left, SPLICE_F_MOVE);
                    }
                    if (n <= 0) _exit(1);
                    left -= (size_t)n;
                }
            }
            uint64_t sent = (uint64_t)count;
            if (write(done[1], &sent, sizeof sent) != sizeof sent) _exit(1);
        }
        _exit(0);
    }
    pin(pr);
    close(p[1]), close(go[0]), close(done[1]);
    int null = open("/dev/null", O_WRONLY);
    for (int r = 0; r <= reps; r++) {
        uint64_t want = (uint64_t)count * size, got = 0, sent = 0;
        double start = now();
        if (write(go[1], "g", 1) != 1) die("write");
        while (got < want) {
            ssize_t n = splice(p[0], NULL, null, NULL, want - got, SPLICE_F_MOVE);
            if (n <= 0) die("splice");
            got += (uint64_t)n;
        }
        double took = now() - start;
        if (read(done[0], &sent, sizeof sent) != sizeof sent) die("sender");
        if (r > 0)
            printf("rep %.9f %llu %llu %llu\n", took, (unsigned long long)got,
                   (unsigned long long)sent, (unsigned long long)sent);
    }
    close(go[1]), close(p[0]);
    return reap(pid);
}

static enum kind kind_of(const char *name) {
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(kinds[i], name)) return (enum kind)i;
    fprintf(stderr, "cref: no kind %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_DFL);
    if (argc == 5 && !strcmp(argv[1], "memcpy"))
        return copy(strtoul(argv[2], 0, 10), atol(argv[3]), atoi(argv[4]));
    if (argc == 9 && (!strcmp(argv[1], "splice") || !strcmp(argv[1], "vmsplice")))
        return zerocopy(argv[1][0] == 'v', strtoul(argv[2], 0, 10), atol(argv[3]),
                        atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]));
    if (argc == 10 && !strcmp(argv[1], "stream"))
        return stream(kind_of(argv[2]), strtoul(argv[3], 0, 10), atol(argv[4]), atoi(argv[5]),
                      atoi(argv[6]), atoi(argv[7]), atoi(argv[8]), argv[9]);
    if (argc == 10 && !strcmp(argv[1], "pingpong"))
        return pingpong(kind_of(argv[2]), strtoul(argv[3], 0, 10), atol(argv[4]),
                        atol(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8]), argv[9]);
    fprintf(stderr, "usage: cref stream|pingpong KIND SIZE N REPS|WARMUP BUF PIN_R PIN_S DIR\n"
                    "       cref memcpy SIZE COUNT REPS\n"
                    "       cref splice|vmsplice SIZE COUNT REPS BUF PIN_R PIN_S DIR\n");
    return 2;
}

#define _GNU_SOURCE
#include "CFileSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#endif

static int rename_with_flags(const char *from, const char *to, unsigned int linux_flag, unsigned int apple_flag) {
#if defined(__linux__)
    (void)apple_flag;
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, linux_flag);
#elif defined(__APPLE__)
    (void)linux_flag;
    return renamex_np(from, to, apple_flag);
#else
    (void)from; (void)to; (void)linux_flag; (void)apple_flag;
    errno = ENOSYS;
    return -1;
#endif
}

int tunekit_rename_noreplace(const char *from, const char *to) {
#if defined(__APPLE__)
    return rename_with_flags(from, to, 0, RENAME_EXCL);
#else
    return rename_with_flags(from, to, RENAME_NOREPLACE, 0);
#endif
}

int tunekit_rename_exchange(const char *a, const char *b) {
#if defined(__APPLE__)
    return rename_with_flags(a, b, 0, RENAME_SWAP);
#else
    return rename_with_flags(a, b, RENAME_EXCHANGE, 0);
#endif
}

extern char **environ;

int tunekit_spawn_group(const char *const argv[], const char *const envp[], const char *directory, int out_fd, int err_fd) {
    pid_t pid = fork();
    if (pid != 0) return (int)pid;
    /* Child: only async-signal-safe calls until exec. */
    setpgid(0, 0);
#if defined(__linux__)
    /* If tunekit is killed (kill -9), the trial's first process is killed too. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (directory != NULL && chdir(directory) != 0) _exit(126);
    if (envp != NULL) environ = (char **)envp;
    execvp(argv[0], (char *const *)argv);
    _exit(errno == ENOENT ? 127 : 126);
}

int tunekit_become_subreaper(void) {
#if defined(__linux__)
    return prctl(PR_SET_CHILD_SUBREAPER, 1);
#else
    return -1;
#endif
}

int tunekit_is_unlinked(int fd) {
    struct stat status;
    if (fstat(fd, &status) != 0) return -1;
    return status.st_nlink == 0 ? 1 : 0;
}

int tunekit_same_file(int fd, const char *path) {
    struct stat open_file, named;
    if (fstat(fd, &open_file) != 0 || stat(path, &named) != 0) return 0;
    return open_file.st_dev == named.st_dev && open_file.st_ino == named.st_ino ? 1 : 0;
}

#ifndef TUNEKIT_CFILESYSTEM_H
#define TUNEKIT_CFILESYSTEM_H

/// Renames `from` to `to` only if `to` does not exist (atomically; errno EEXIST otherwise). 0 on success, -1 on error.
int tunekit_rename_noreplace(const char *from, const char *to);

/// Atomically swaps two existing paths. 0 on success, -1 on error (errno set).
int tunekit_rename_exchange(const char *a, const char *b);

/// Starts `argv[0]` (searched in PATH) in a new process group with stdin from /dev/null, stdout and stderr to the
/// given file descriptors, in `directory` (NULL: inherit) and with `envp` (NULL: inherit); on Linux it is killed if
/// the calling thread's process dies. Returns the PID or -1.
int tunekit_spawn_group(const char *const argv[], const char *const envp[], const char *directory, int out_fd, int err_fd);

/// Makes the calling process the reaper of its orphaned descendants (Linux PR_SET_CHILD_SUBREAPER): a trial's
/// double-forked daemon is re-parented to tunekit, not to init. 0 on success, -1 where unsupported.
int tunekit_become_subreaper(void);

/// 1 when the open file `fd` no longer has a name (it, or its folder, was deleted), 0 when it has, -1 on error.
int tunekit_is_unlinked(int fd);

/// 1 when `path` names the file open as `fd` (same device and inode), 0 when it names another file or nothing.
int tunekit_same_file(int fd, const char *path);

#endif

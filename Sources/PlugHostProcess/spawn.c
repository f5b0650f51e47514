#define _GNU_SOURCE
#include "plughost_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

int ph_spawn(const char *path, char *const argv[], char *const envp[], int input, int output, const int *fds, int count, pid_t *pid) {
    if (count < 0 || count > 64) return EINVAL;
    /* Copies numbered above every target, so no dup2 overwrites a source not yet moved. */
    int high[64];
    int made = 0;
    int result = 0;
    for (; made < count; made++) {
        high[made] = fcntl(fds[made], F_DUPFD_CLOEXEC, 3 + count);
        if (high[made] < 0) {
            result = errno;
            goto done;
        }
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    if ((result = posix_spawn_file_actions_init(&actions)) != 0) goto done;
    if ((result = posix_spawnattr_init(&attributes)) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        goto done;
    }
    /* Standard input and output first: the sources are the caller's, numbered above 2 (pipes made
     * after the standard three), so the moves below cannot overwrite them. */
    if (input >= 0) result = posix_spawn_file_actions_adddup2(&actions, input, 0);
    if (output >= 0 && result == 0) result = posix_spawn_file_actions_adddup2(&actions, output, 1);
    for (int i = 0; i < count && result == 0; i++) result = posix_spawn_file_actions_adddup2(&actions, high[i], 3 + i);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3 + count);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    /* Its own process group: a terminal's Ctrl-C reaches the supervisor alone, which then stops
     * the workers in order, rather than every process at once. */
    if (result == 0) result = posix_spawnattr_setpgroup(&attributes, 0);
    if (result == 0) result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
done:
    for (int i = 0; i < made; i++) close(high[i]);
    return result;
}

int ph_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int ph_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

int ph_pipe_set_size(int fd, int bytes) {
    return fcntl(fd, F_SETPIPE_SZ, bytes);
}

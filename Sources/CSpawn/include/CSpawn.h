#ifndef SANDBENCH_CSPAWN_H
#define SANDBENCH_CSPAWN_H
#include <spawn.h>

/// glibc's GNU spawn and pipe extensions, which Swift's Glibc module does not export.
int sb_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
int sb_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int sb_pipe_cloexec(int fds[2]);
short sb_spawn_setsid_flag(void);
#endif

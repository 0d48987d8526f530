// The name `ps` and `top` show for a copy of the program started by exec.
//
// The spawn and forkserver start methods exec /proc/self/exe, and the
// kernel names a process after the last part of the path it exec'd: every
// such child, and the forkserver with all it forks, would be called "exe".
#pragma once

namespace multiproc::inline v0::detail {

/// Renames this process's main thread (PR_SET_NAME, which is what
/// /proc/<pid>/comm, ps and top show) to its program's file name, cut to
/// the kernel's 15 bytes, as an exec by the program's own path would have
/// named it. Best effort: on any failure the name stays as it was.
void name_after_program() noexcept;

}  // namespace multiproc::inline v0::detail

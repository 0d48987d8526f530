"""What each example must print, in what order, and how long it may take.

Each entry of EXAMPLES:
  lines:  the expected lines; each is a dict with
            stream  "stdout" or "stderr"
            rank    order across both streams (equal ranks: any order)
            re      a regular expression the whole line must match
            at      optional (low, high): seconds since the start
            gap     optional (regex of an earlier expected line, high): at
                    most `high` seconds after that line
          No other line may appear on either stream.
  status: the exit status (default 0; -N: killed by signal N)
  wall:   (low, high) seconds for the whole run, until both pipes closed

Upper time bounds are generous (a loaded 2-core machine) and are multiplied
by MULTIPROC_TEST_SLOWDOWN; lower bounds are exact requirements.
"""

OUT, ERR = "stdout", "stderr"


def line(rank, stream, regex, **extra):
    return dict(rank=rank, stream=stream, re=regex, **extra)


WAITING = r"Main: Waiting for process to terminate\.\.\."

EXAMPLES = {
    "01_join": dict(
        lines=[
            line(0, OUT, WAITING, at=(0, 2)),
            line(1, OUT, r"All done in the new process", at=(0.95, 4)),
            line(2, OUT, r"Main: Continuing on", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "02_join_child_that_throws": dict(
        lines=[
            line(0, OUT, WAITING, at=(0, 2)),
            line(1, ERR, r"Process Process-1:", at=(0.95, 4)),
            line(2, ERR, r"std::runtime_error: Something bad happened"),
            line(3, OUT, r"Main: Continuing on", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "03_join_with_timeout": dict(
        lines=[
            line(0, OUT, WAITING, at=(0, 2)),
            line(1, OUT, r"Main: join\(2s\) returned false", at=(1.95, 5)),
            line(2, OUT, r"Main: is_alive\(\) is true"),
            line(3, OUT, r"Main: Continuing on", at=(1.95, 5)),
            line(4, OUT, r"All done in the new process", at=(4.5, 12)),
        ],
        wall=(4.5, 15),
    ),
    "04_join_ended_child": dict(
        lines=[
            line(0, OUT, r"All done in the new process", at=(0, 1)),
            line(1, OUT, WAITING, at=(0.95, 4)),
            line(2, OUT, r"Main: Continuing on, exitcode 0",
                 gap=(WAITING, 0.5)),
        ],
        wall=(0.95, 6),
    ),
    "05_join_current_process": dict(
        lines=[
            line(0, OUT, r"Main: usage_error: can only join a child process"),
        ],
        wall=(0, 5),
    ),
    "06_daemon": dict(
        lines=[
            line(0, OUT, r"Main: Process-1 daemon\(\) is true, "
                         r"Process-2 daemon\(\) is false"),
            line(1, OUT, r"Daemon: running until the program ends"),
            line(2, OUT, r"Worker: done after 1 s", at=(0.95, 4)),
            line(3, OUT, r"Main: returning from main\(\); the daemon is still "
                         r"running", at=(0.95, 4)),
        ],
        # The daemon sleeps 60 s: ending in time proves it was terminated.
        wall=(0.95, 6),
    ),
    "07_terminate_kill": dict(
        lines=[
            line(0, OUT, r"Main: Process-1 after terminate\(\): exitcode -15",
                 at=(0, 3)),
            line(1, OUT, r"Main: Process-2 after kill\(\): exitcode -9",
                 at=(0, 3)),
            line(2, OUT, r"Main: Process-3 ignored terminate\(\), using "
                         r"kill\(\)", at=(0.95, 4)),
            line(3, OUT, r"Main: Process-3 exitcode -9", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "08_active_children": dict(
        lines=[
            line(0, OUT, r"Main: active_children\(\) = "
                         r"\[Process-1, Process-2, Process-3\]", at=(0, 2)),
            line(1, OUT, r"Main: joined Process-1, active_children\(\) = "
                         r"\[Process-2, Process-3\]", at=(0.45, 3)),
            line(2, OUT, r"Main: joined Process-2, active_children\(\) = "
                         r"\[Process-3\]", at=(0.95, 4)),
            line(3, OUT, r"Main: joined Process-3, active_children\(\) = "
                         r"\[\]", at=(1.45, 5)),
        ],
        wall=(1.45, 7),
    ),
    "09_parent_process": dict(
        lines=[
            line(0, OUT, r"Main: I am MainProcess, parent_process\(\) is "
                         r"empty: true"),
            line(1, OUT, r"Process-1: parent is MainProcess, pid\(\) == "
                         r"getppid\(\) is true, is_alive\(\) is true"),
            line(2, OUT, r"Process-1:1: parent is Process-1, pid\(\) == "
                         r"getppid\(\) is true, is_alive\(\) is true"),
            line(3, OUT, r"Main: Process-1 exitcode 0"),
        ],
        wall=(0, 5),
    ),
    "10_wait": dict(
        lines=[
            line(0, OUT, r"Main: wait\(200ms\) returned 0 processes",
                 at=(0.19, 2)),
            line(1, OUT, r"Main: Process-2 ended, exitcode 2", at=(0.45, 3)),
            line(2, OUT, r"Main: Process-3 ended, exitcode 3", at=(0.95, 4)),
            line(3, OUT, r"Main: Process-1 ended, exitcode 1", at=(1.45, 5)),
        ],
        wall=(1.45, 7),
    ),
    "11_kill_on_parent_death": dict(
        lines=[
            line(0, OUT, r"Process-1:1: started by Process-1"),
            line(0, OUT, r"Process-1:2: started by Process-1"),
            line(1, OUT, r"Main: killed Process-1, exitcode -9",
                 at=(0.95, 4)),
            # Only the child without kill_on_parent_death outlives Process-1
            # (its twin would print the same line, or hold the pipe open).
            line(1, OUT, r"Process-1:2: my parent has died and I am still "
                         r"running", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "12_pool": dict(
        lines=[
            line(0, OUT, r"map: 1 4 9 16", at=(0, 3)),
            line(1, OUT, r"submit: 10"),
            line(2, OUT, r"submit: 11"),
            line(3, OUT, r"submit: 12"),
            line(4, OUT, r"submit: failed alone: process died with exit code "
                 r"-6 \(SIGABRT\)"),
            line(5, OUT, r"submit: 14"),
            line(6, OUT, r"submit: 15"),
            line(7, OUT, r"timeout: process timed out after 0\.5s and was killed",
                 at=(0.45, 5)),
            line(8, OUT, r"still serving: 144"),
        ],
        wall=(0.45, 8),
    ),
    "13_pool_progress": dict(
        lines=[
            # The bar redraws itself with carriage returns on one line; it
            # must end full.
            line(0, OUT, r"(\r\[#* *\] \d+/400)*\r\[#{40}\] 400/400"),
            line(1, OUT, r"sum of squares: 21253400"),
        ],
        wall=(0.4, 20),
    ),
    "14_map_outcomes": dict(
        lines=[
            # In input order, all at once: the map returns when the hung
            # item's 0.5 s timeout has passed.
            line(0, OUT, r"item 0: value 0", at=(0.45, 5)),
            line(1, OUT, r"item 1: value 1"),
            line(2, OUT, r"item 2: value 4"),
            line(3, OUT, r"item 3: error: odd one out"),
            line(4, OUT, r"item 4: value 16"),
            line(5, OUT, r"item 5: error: process died with exit code -6 "
                 r"\(SIGABRT\)"),
            line(6, OUT, r"item 6: error: process timed out after 0\.5s and "
                 r"was killed"),
            line(7, OUT, r"item 7: error: odd one out"),
            line(8, OUT, r"item 8: value 64"),
        ],
        wall=(0.45, 8),
    ),
    "60_mpi_batch": dict(
        lines=[
            # Run under mpiexec -n 4 (examples/CMakeLists.txt): rank 0 only
            # prints; the outcomes in input order, after the 0.5 s timeout.
            line(0, OUT, r"world of 4 ranks", at=(0, 10)),
            line(1, OUT, r"item 0: value 0", at=(0.45, 12)),
            line(2, OUT, r"item 1: value 1"),
            line(3, OUT, r"item 2: value 4"),
            line(4, OUT, r"item 3: error: odd one out"),
            line(5, OUT, r"item 4: value 16"),
            line(6, OUT, r"item 5: error: process died with exit code -6 "
                 r"\(SIGABRT\)"),
            line(7, OUT, r"item 6: error: process timed out after 0\.5s and "
                 r"was killed"),
            line(8, OUT, r"item 7: error: odd one out"),
            line(9, OUT, r"item 8: value 64"),
        ],
        wall=(0.45, 15),
    ),
    "15_as_completed": dict(
        lines=[
            line(0, OUT, r"future 1 done: 200 ms", at=(0.15, 3)),
            line(1, OUT, r"future 2 done: 400 ms", at=(0.35, 3)),
            line(2, OUT, r"future 0 done: 600 ms", at=(0.55, 4)),
            line(3, OUT, r"first exception: 1 done, 1 not done",
                 at=(0.85, 5)),
            line(4, OUT, r"future 1: failed after 300 ms"),
        ],
        wall=(0.85, 8),
    ),
    "16_lock_owner_died": dict(
        lines=[
            line(0, OUT, r"Child: holding the lock, about to be killed",
                 at=(0, 2)),
            line(1, OUT, r"Main: the lock is held"),
            line(2, OUT, r"Main: child ended with exit code -9"),
            # Taken over at once, not after the 2 s timeout.
            line(3, OUT, r"Main: acquired true, owner died true", at=(0, 1.5)),
            line(4, OUT, r"Main: acquired again, owner died false"),
        ],
        wall=(0, 3),
    ),
    "17_lock_serialises_reports": dict(
        lines=[
            # Each report whole: begins and ends alternate, whichever
            # child comes first.
            line(0, OUT, r"report [0-3] begins"),
            line(1, OUT, r"report [0-3] ends"),
            line(2, OUT, r"report [0-3] begins"),
            line(3, OUT, r"report [0-3] ends"),
            line(4, OUT, r"report [0-3] begins"),
            line(5, OUT, r"report [0-3] ends"),
            line(6, OUT, r"report [0-3] begins"),
            line(7, OUT, r"report [0-3] ends"),
            line(8, OUT, r"all reports in"),
        ],
        wall=(0, 5),
    ),
    "18_semaphore_limits_workers": dict(
        lines=[
            # Six 100 ms jobs two at a time: three waves.
            line(0, OUT, r"at most 2 workers at once", at=(0.29, 5)),
            line(1, OUT, r"permits back: 2"),
        ],
        wall=(0.29, 6),
    ),
    "20_queue_sentinel": dict(
        lines=[
            line(0, OUT, r"Worker: got 1"),
            line(1, OUT, r"Worker: got 2"),
            line(2, OUT, r"Worker: got 3"),
            line(3, OUT, r"Worker: got 4"),
            line(4, OUT, r"Worker: got 5"),
            line(5, OUT, r"Worker: sentinel, total 15"),
            line(6, OUT, r"Main: worker ended with exit code 0"),
        ],
        wall=(0, 3),
    ),
    "21_joinable_queue": dict(
        lines=[
            # 10 tasks of 20 ms on two workers: at least 100 ms.
            line(0, OUT, r"Main: all 10 tasks done, 10 results waiting",
                 at=(0.1, 3)),
            line(1, OUT, r"Main: sum of squares 385"),
            line(2, OUT, r"Main: workers ended, lost tasks 0"),
        ],
        wall=(0.1, 4),
    ),
    "22_queue_producer_killed": dict(
        lines=[
            line(0, OUT, r"Main: producer killed, exit code -9"),
            line(1, OUT, r"Main: got at least 20 items, in order and each whole: true"),
            line(2, OUT, r"Main: then all producers gone"),
        ],
        wall=(0, 3),
    ),
    "40_memory_caps": dict(
        lines=[
            line(0, OUT, r"document 0: 4 words"),
            line(1, OUT, r"document 1: failed alone, over its 512 MiB cap "
                 r"\(std::bad_alloc\)"),
            line(2, OUT, r"document 2: 2 words"),
            line(3, OUT, r"document 3: 6 words"),
            line(4, OUT, r"document 4: failed alone, over its 512 MiB cap "
                 r"\(std::bad_alloc\)"),
            line(5, OUT, r"document 5: 1 words"),
            line(6, OUT, r"2 of 6 failed; the pool still runs: 3 words"),
        ],
        wall=(0, 4),
    ),
    "50_join_spawn": dict(
        lines=[
            line(0, OUT, WAITING, at=(0, 2)),
            line(1, OUT, r"All done in the new process \(set by the "
                 r"initialiser\)", at=(0.95, 4)),
            line(2, OUT, r"Main: Continuing on, exitcode 0", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "52_join_forkserver": dict(
        lines=[
            line(0, OUT, WAITING, at=(0, 2)),
            line(1, OUT, r"All done in the new process \(set by the "
                 r"initialiser\)", at=(0.95, 4)),
            line(2, OUT, r"Main: Continuing on, exitcode 0", at=(0.95, 4)),
        ],
        wall=(0.95, 6),
    ),
    "51_threaded_server_spawn": dict(
        lines=[
            line(0, OUT, r"request 0: child exitcode 10"),
            line(0, OUT, r"request 1: child exitcode 11"),
            line(0, OUT, r"request 2: child exitcode 12"),
            line(0, OUT, r"request 3: child exitcode 13"),
            line(1, OUT, r"all requests served"),
        ],
        wall=(0, 5),
    ),
    "53_pool_spawn": dict(
        lines=[
            line(0, OUT, r"word-0"),
            line(1, OUT, r"word-1"),
            line(2, OUT, r"word-4"),
            line(3, OUT, r"word-9"),
            line(4, OUT, r"task failed: exit code 3"),
            line(5, OUT, r"word-25"),
            line(6, OUT, r"main still has: set by main"),
        ],
        wall=(0, 5),
    ),
    "41_expensive_inputs": dict(
        lines=[
            line(0, OUT, r"most expensive inputs \(of 5\):"),
            line(1, OUT, r"1\. primes below 400000: 33860 found, \d+\.\d{3} s "
                 r"CPU, peak RSS \d+ KiB, \d+ minor faults"),
            line(2, OUT, r"2\. primes below 200000: 17984 found, \d+\.\d{3} s "
                 r"CPU, peak RSS \d+ KiB, \d+ minor faults"),
            line(3, OUT, r"3\. primes below 100000: 9592 found, \d+\.\d{3} s "
                 r"CPU, peak RSS \d+ KiB, \d+ minor faults"),
        ],
        wall=(0, 10),
    ),
    "23_pipe": dict(
        lines=[
            line(0, OUT, r"Main: got 'hello from Process-1'"),
            line(1, OUT, r"Child: got 'hello back'"),
            line(2, OUT, r"Main: child ended with exit code 0"),
            line(3, OUT, r"Main: then connection closed by the other end"),
        ],
        wall=(0, 3),
    ),
}

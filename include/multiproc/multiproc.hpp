// multiproc — Python's multiprocessing for C++20 on Linux.
//
//   #include <multiproc/multiproc.hpp>
//   namespace mp = multiproc;
//
//   mp::process p([] { std::cout << "hello from the child\n"; });
//   p.start();
//   p.join();
//
//   int answer = mp::call([] { return 6 * 7; });   // computed in a child
//
// The headers:
//   process.hpp           multiprocessing.Process, current_process(), wait()
//   async.hpp, future.hpp a function in a child, its result as a future
//   futures_wait.hpp      concurrent.futures.wait() and as_completed()
//   pool.hpp              multiprocessing.Pool / ProcessPoolExecutor
//   codec.hpp             how results (and pool arguments) become bytes
//   remote_exception.hpp  which exceptions come back as themselves
//   errors.hpp            what the library throws
//   exit_policy.hpp       a bound on how long exit waits for children
//   limits.hpp, usage.hpp caps on a child's memory, CPU, files; what it used
#pragma once

#include "multiproc/async.hpp"
#include "multiproc/codec.hpp"
#include "multiproc/connection.hpp"
#include "multiproc/context.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/exit_policy.hpp"
#include "multiproc/future.hpp"
#include "multiproc/futures_wait.hpp"
#include "multiproc/limits.hpp"
#include "multiproc/pool.hpp"
#include "multiproc/process.hpp"
#include "multiproc/queue.hpp"
#include "multiproc/remote_exception.hpp"
#include "multiproc/shared_memory.hpp"
#include "multiproc/shared_value.hpp"
#include "multiproc/start_method.hpp"
#include "multiproc/synchronize.hpp"
#include "multiproc/usage.hpp"

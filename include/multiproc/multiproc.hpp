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
#pragma once

#include "multiproc/async.hpp"
#include "multiproc/codec.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/exit_policy.hpp"
#include "multiproc/future.hpp"
#include "multiproc/futures_wait.hpp"
#include "multiproc/pool.hpp"
#include "multiproc/process.hpp"
#include "multiproc/queue.hpp"
#include "multiproc/remote_exception.hpp"
#include "multiproc/synchronize.hpp"

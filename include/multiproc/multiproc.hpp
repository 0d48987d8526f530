// multiproc — Python's multiprocessing for C++20 on Linux.
//
//   #include <multiproc/multiproc.hpp>
//   namespace mp = multiproc;
//
//   mp::process p([] { std::cout << "hello from the child\n"; });
//   p.start();
//   p.join();
#pragma once

#include "multiproc/errors.hpp"
#include "multiproc/process.hpp"

# Every dependency comes from Debian 12's packages; see README.md for the apt line.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(fmt 9 REQUIRED)
find_package(Threads REQUIRED)  # attnlab's own pool (framework/src/tensor/thread_pool.hpp)
find_package(HDF5 1.10 REQUIRED COMPONENTS C)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)  # plus header-only Boost.DLL
find_package(yaml-cpp 0.7 REQUIRED)

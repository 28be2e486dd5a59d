# Every dependency comes from Debian 12's packages; see README.md for the apt line.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(fmt 9 REQUIRED)
find_package(Threads REQUIRED)  # attnlab's own pool (framework/src/tensor/thread_pool.hpp)
find_package(HDF5 1.10 REQUIRED COMPONENTS C)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)  # plus header-only Boost.DLL
find_package(yaml-cpp 0.7 REQUIRED)

# MPI inside one allocation (`mpirun -n K attnlab run`): optional, on when Boost.MPI
# and an MPI (Debian: libboost-mpi-dev, openmpi-bin) are found. Without it,
# attnlab refuses to run as one of several MPI processes.
option(ATTNLAB_MPI "Run experiments across MPI ranks when Boost.MPI and MPI are found" ON)
set(ATTNLAB_HAVE_MPI OFF)
if(ATTNLAB_MPI)
  find_package(MPI QUIET COMPONENTS CXX)
  find_package(Boost 1.74 QUIET COMPONENTS mpi)
  if(MPI_CXX_FOUND AND TARGET Boost::mpi)
    set(ATTNLAB_HAVE_MPI ON)
  endif()
endif()
message(STATUS "attnlab: MPI ${ATTNLAB_HAVE_MPI}")

# Every dependency comes from Debian 12's packages; see README.md for the apt line.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(fmt 9 REQUIRED)
find_package(Threads REQUIRED)  # attnlab's own pool (framework/src/tensor/thread_pool.hpp)
find_package(HDF5 1.10 REQUIRED COMPONENTS C)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)  # plus header-only Boost.DLL
find_package(yaml-cpp 0.7 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)  # the JSON of safetensors headers (io/safetensors.hpp)

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

# oneDNN's sgemm computes the larger matrix products (framework/src/ops/gemm_kernel.cpp
# says why; Debian: libdnnl-dev): optional, on when found; without it Eigen computes
# them all. Found by hand: Debian's dnnl-config.cmake also demands OpenCL's headers.
# Debian builds oneDNN on GNU OpenMP, whose omp_set_num_threads attnlab calls.
option(ATTNLAB_ONEDNN "Compute matrix products with oneDNN's sgemm when it is found" ON)
set(ATTNLAB_HAVE_ONEDNN OFF)
if(ATTNLAB_ONEDNN)
  find_path(ATTNLAB_DNNL_INCLUDE_DIR dnnl.h)
  find_library(ATTNLAB_DNNL_LIBRARY dnnl)
  find_library(ATTNLAB_GOMP_LIBRARY NAMES gomp libgomp.so.1)
  if(ATTNLAB_DNNL_INCLUDE_DIR AND ATTNLAB_DNNL_LIBRARY AND ATTNLAB_GOMP_LIBRARY)
    set(ATTNLAB_HAVE_ONEDNN ON)
  endif()
endif()
message(STATUS "attnlab: oneDNN ${ATTNLAB_HAVE_ONEDNN}")

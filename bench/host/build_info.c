/*
 * build_info.c — facts CMake passes about this build (compiler, flags,
 * build type, sanitizers), for meta.csv and `heaplab info`.  Kept in its
 * own file so that only it is rebuilt when they change.
 */
#include "bench/host/cli.h"

#include "git_stamp.h" /* HEAPLAB_GIT_COMMIT, generated at build time */

#ifndef HEAPLAB_COMPILER
#define HEAPLAB_COMPILER "unknown"
#endif
#ifndef HEAPLAB_C_FLAGS
#define HEAPLAB_C_FLAGS "unknown"
#endif
#ifndef HEAPLAB_BUILD_TYPE
#define HEAPLAB_BUILD_TYPE "unknown"
#endif
#ifndef HEAPLAB_SANITIZE
#define HEAPLAB_SANITIZE ""
#endif
#ifndef HEAPLAB_SOURCE_DIR
#define HEAPLAB_SOURCE_DIR "."
#endif

const struct cli_build_info cli_build = {
    .compiler = HEAPLAB_COMPILER,
    .c_flags = HEAPLAB_C_FLAGS,
    .build_type = HEAPLAB_BUILD_TYPE,
    .sanitize = HEAPLAB_SANITIZE,
    .source_dir = HEAPLAB_SOURCE_DIR,
    .git_commit = HEAPLAB_GIT_COMMIT,
    .check_level = HL_CHECK_LEVEL,
};

#include <dnnl.h>

// libdnnl on Debian is built with OpenMP (libgomp); its thread count is set
// through the OpenMP runtime, whose header is not on clang's include path.
extern void omp_set_num_threads(int count);

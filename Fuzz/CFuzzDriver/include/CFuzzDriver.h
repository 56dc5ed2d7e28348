// libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer). SwiftPM links every
// executable with main aliased to MODULE_main, so the harnesses define that symbol and start
// libFuzzer here instead of relying on libFuzzer's own main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#include <stddef.h>
#include <stdint.h>
/* libFuzzer's entry for programs with their own main (clang_rt.fuzzer provides it). SwiftPM
   renames an executable's main, so the harness cannot rely on libFuzzer's main. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

/* Linux calls that Swift's Glibc module does not expose (they need _GNU_SOURCE). */
#ifdef __linux__
extern int sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags);
/* SYNC_FILE_RANGE_WRITE from <fcntl.h>: start writeback of dirty pages, do not wait. */
static inline int csys_start_writeback(int fd, long long offset, long long length) {
  return sync_file_range(fd, offset, length, 2);
}
#else
static inline int csys_start_writeback(int fd, long long offset, long long length) { return 0; }
#endif

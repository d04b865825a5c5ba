#include <zlib.h>
/* deflateInit/inflateInit are macros Swift cannot import. */
static inline int czlib_inflate_init(z_stream *s) { return inflateInit(s); }
static inline int czlib_deflate_init(z_stream *s, int level) { return deflateInit(s, level); }

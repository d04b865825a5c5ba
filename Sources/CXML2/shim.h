#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU, and its encoding.h then includes ICU's headers, which
   clash with the copy of ICU inside Foundation. Nothing here uses the ICU converter fields
   (they only extend xmlCharEncodingHandler, which is only used through pointers). */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* Silences libxml2's generic error printer (it writes to stderr by default); parse errors are
   read back from the parser context instead. */
static void cxml2_silent(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }
static inline void cxml2_silence(void) { xmlSetGenericErrorFunc(NULL, cxml2_silent); }
/* xmlFree is a global function pointer, which Swift 6 refuses to read. */
static inline void cxml2_free(void *p) { xmlFree(p); }

// The module is its header's inline function; SwiftPM builds a C target from at least one source file.
#include "CPrefetch.h"

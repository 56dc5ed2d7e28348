// Only the header matters: this file exists because a C target needs one source.
#include "CFuzzDriver.h"
